import { App, Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { FeedPublisherStack, stageNames, type CustomDomain } from "../lib/feed-publisher-stack.js";

/**
 * CDK app. Optional context (`-c key=value` or cdk.json):
 * - `stage`: a stage name (`dev`, `staging`): stack `FeedPublisher-<stage>`, service and
 *   dashboard `feedpub-<stage>`; without it, the stack is `FeedPublisher`;
 * - `domainName` + `certificateArn`: custom domain for CloudFront (certificate in us-east-1);
 *   with `hostedZoneId` + `zoneName` too, A/AAAA alias records in that Route 53 zone;
 * - `alarmEmail`: subscribe this address to the alarms;
 * - `maxExactPaths`: invalidate `/*` above this many changed paths (default 5);
 * - `scheduleMinutes`: how often publish runs for scheduled articles (default 5);
 * - `memorySize`: MB of both functions (default 256);
 * - `removalPolicy=destroy`: a throwaway stage whose data goes with the stack.
 * - `githubRepo` (`owner/repo`), optionally `githubBranch` (default main) and
 *   `githubOidcProviderArn` (the account's existing GitHub OIDC provider): a role the
 *   content repository's GitHub Actions workflow assumes to publish.
 */
const app = new App();

function context(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" && typeof value !== "number") throw new Error(`context ${key}: expected a string, got ${JSON.stringify(value)}`);
  return String(value).trim();
}

function integerContext(key: string): number | undefined {
  const raw = context(key);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new Error(`context ${key}=${raw}: expected a whole number`);
  return Number(raw);
}

const domainName = context("domainName");
const certificateArn = context("certificateArn");
if (Boolean(domainName) !== Boolean(certificateArn)) {
  throw new Error("context domainName and certificateArn go together: pass both (-c domainName=news.example.com -c certificateArn=arn:aws:acm:us-east-1:...) or neither");
}
const hostedZoneId = context("hostedZoneId");
const zoneName = context("zoneName");
if (Boolean(hostedZoneId) !== Boolean(zoneName) || (hostedZoneId && !domainName)) {
  throw new Error("context hostedZoneId and zoneName go together, and need domainName: -c hostedZoneId=Z123... -c zoneName=example.com");
}
const customDomain: CustomDomain | undefined = domainName && certificateArn
  ? { domainName, certificateArn, ...(hostedZoneId && zoneName ? { hostedZone: { hostedZoneId, zoneName } } : {}) }
  : undefined;
const githubRepo = context("githubRepo");
const githubBranch = context("githubBranch");
const githubOidcProviderArn = context("githubOidcProviderArn");

const removal = context("removalPolicy");
if (removal !== undefined && removal !== "retain" && removal !== "destroy") {
  throw new Error(`context removalPolicy=${removal}: expected retain (the default) or destroy (a throwaway stage)`);
}
const scheduleMinutes = integerContext("scheduleMinutes");
const { stackId, serviceName } = stageNames(context("stage"));

new FeedPublisherStack(app, stackId, {
  description: "feedpub: serverless RSS/Atom/JSON Feed publisher",
  // Environment-agnostic unless the CLI knows the account (synth works offline).
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  customDomain,
  alarmEmail: context("alarmEmail"),
  maxExactPaths: integerContext("maxExactPaths"),
  memorySize: integerContext("memorySize"),
  schedule: scheduleMinutes === undefined ? undefined : Duration.minutes(scheduleMinutes),
  removalPolicy: removal === "destroy" ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  serviceName,
  editorAccess: { githubRepo, githubBranch, githubOidcProviderArn },
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
