import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { FeedPublisherStack, type CustomDomain } from "../lib/feed-publisher-stack.js";

/**
 * CDK app. Optional context (`-c key=value` or cdk.json):
 * - `domainName` + `certificateArn`: custom domain for CloudFront (certificate in us-east-1);
 * - `alarmEmail`: subscribe this address to the failure alarms;
 * - `githubRepo` (`owner/repo`), optionally `githubBranch` (default main) and
 *   `githubOidcProviderArn` (the account's existing GitHub OIDC provider): a role the
 *   content repository's GitHub Actions workflow assumes to publish.
 */
const app = new App();

function context(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new Error(`context ${key}: expected a string, got ${JSON.stringify(value)}`);
  return value.trim();
}

const domainName = context("domainName");
const certificateArn = context("certificateArn");
if (Boolean(domainName) !== Boolean(certificateArn)) {
  throw new Error("context domainName and certificateArn go together: pass both (-c domainName=news.example.com -c certificateArn=arn:aws:acm:us-east-1:...) or neither");
}
const customDomain: CustomDomain | undefined = domainName && certificateArn ? { domainName, certificateArn } : undefined;
const alarmEmail = context("alarmEmail");
const githubRepo = context("githubRepo");
const githubBranch = context("githubBranch");
const githubOidcProviderArn = context("githubOidcProviderArn");

new FeedPublisherStack(app, "FeedPublisher", {
  description: "feedpub: serverless RSS/Atom/JSON Feed publisher",
  // Environment-agnostic unless the CLI knows the account (synth works offline).
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  customDomain,
  alarmEmail,
  editorAccess: { githubRepo, githubBranch, githubOidcProviderArn },
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
