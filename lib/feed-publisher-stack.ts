import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as route53 from "aws-cdk-lib/aws-route53";
import type { Construct } from "constructs";
import { FEED_FILES, INDEX_PAGE, OPML } from "../lambdas/contracts/paths.js";
import { FeedPublisher, type FeedPublisherProps } from "./feed-publisher.js";
import { EditorAccess, type EditorAccessOptions } from "./editor-access.js";

export { CONTENT_FILTERS } from "./feed-publisher.js";

/** Files the publisher writes at the site root; each becomes a stack output. */
export const SITE_FILES = {
  RssFeedUrl: FEED_FILES.rss,
  AtomFeedUrl: FEED_FILES.atom,
  JsonFeedUrl: FEED_FILES.json,
  OpmlUrl: OPML,
  SiteUrl: INDEX_PAGE,
} as const;

export interface CustomDomain {
  /** Host name served by CloudFront, e.g. `news.example.com`. */
  readonly domainName: string;
  /** ACM certificate for `domainName`; CloudFront requires it in us-east-1. */
  readonly certificateArn: string;
  /** The Route 53 zone of `domainName`: A/AAAA alias records are created in it. @default - DNS is managed elsewhere */
  readonly hostedZone?: { readonly hostedZoneId: string; readonly zoneName: string };
}

export interface FeedPublisherStackProps extends StackProps, Omit<FeedPublisherProps, "domainName" | "certificate" | "hostedZone"> {
  /** @default - the distribution's `*.cloudfront.net` name with CloudFront's default certificate */
  readonly customDomain?: CustomDomain;
  /** Editor policies (always) and a GitHub Actions role (with `githubRepo`). @default - the policies, no role */
  readonly editorAccess?: EditorAccessOptions;
}

/** The stack id, and the service name of logs, metrics and dashboard, of a stage (`-c stage=dev`). */
export function stageNames(stage: string | undefined): { stackId: string; serviceName: string } {
  if (stage === undefined) return { stackId: "FeedPublisher", serviceName: "feedpub" };
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    throw new Error(`stage ${JSON.stringify(stage)}: lower-case letters, digits and -, starting with a letter, 20 characters at most (it names the stack)`);
  }
  return { stackId: `FeedPublisher-${stage}`, serviceName: `feedpub-${stage}` };
}

/**
 * One `FeedPublisher` and its outputs. The construct's id is `Default`, which CDK leaves
 * out of logical ids: the resources keep the ids they had when they were defined in this
 * stack directly, so an existing deployment updates in place (test/stack pins them).
 */
export class FeedPublisherStack extends Stack {
  readonly publisher: FeedPublisher;
  readonly editorAccess: EditorAccess;

  constructor(scope: Construct, id: string, props: FeedPublisherStackProps = {}) {
    super(scope, id, props);
    const { customDomain: domain, ...rest } = props;
    this.publisher = new FeedPublisher(this, "Default", {
      ...pickPublisherProps(rest),
      ...(domain
        ? {
            domainName: domain.domainName,
            certificate: acm.Certificate.fromCertificateArn(this, "Certificate", domain.certificateArn),
            ...(domain.hostedZone ? { hostedZone: route53.HostedZone.fromHostedZoneAttributes(this, "HostedZone", domain.hostedZone) } : {}),
          }
        : {}),
    });
    const p = this.publisher;
    for (const [outputId, file] of Object.entries(SITE_FILES)) {
      new CfnOutput(this, outputId, { value: `${p.siteOrigin}/${file}` });
    }
    new CfnOutput(this, "ContentBucketName", { value: p.contentBucket.bucketName });
    new CfnOutput(this, "DistributionId", { value: p.distribution.distributionId });
    new CfnOutput(this, "DistributionDomainName", { value: p.distribution.distributionDomainName });
    new CfnOutput(this, "IngestFailureQueueUrl", { value: p.ingestFailures.queueUrl });
    new CfnOutput(this, "PublishFailureQueueUrl", { value: p.publishFailures.queueUrl });
    new CfnOutput(this, "DashboardName", { value: p.dashboard.dashboardName });

    // ---- Editor access (issue 14, editor loop) -------------------------------------
    // Managed policies for editors and admins, and the optional CI role, as outputs.
    this.editorAccess = new EditorAccess(this, "EditorAccess", { contentBucket: p.contentBucket, ...props.editorAccess });
    new CfnOutput(this, "EditorPolicyArn", { value: this.editorAccess.editorPolicy.managedPolicyArn, description: "Attach to editors (users, groups, SSO permission sets)" });
    new CfnOutput(this, "AdminPolicyArn", { value: this.editorAccess.adminPolicy.managedPolicyArn, description: "Attach, with the editor policy, to whoever may change site.yaml" });
    if (this.editorAccess.githubRole) {
      new CfnOutput(this, "GitHubPublishRoleArn", { value: this.editorAccess.githubRole.roleArn, description: "role-to-assume of the content repository's publish workflow" });
    }
    // ---- end of editor access ----------------------------------------------------------
  }

  get table() { return this.publisher.table; }
  get contentBucket() { return this.publisher.contentBucket; }
  get siteBucket() { return this.publisher.siteBucket; }
  get logBucket() { return this.publisher.logBucket; }
  get distribution() { return this.publisher.distribution; }
  get ingest() { return this.publisher.ingest; }
  get publish() { return this.publisher.publish; }
  get ingestFailures() { return this.publisher.ingestFailures; }
  get publishFailures() { return this.publisher.publishFailures; }
}

/** The construct's props out of the stack's (StackProps are the stack's own). */
function pickPublisherProps(props: Omit<FeedPublisherStackProps, "customDomain">): FeedPublisherProps {
  const { alarmEmail, memorySize, maxExactPaths, schedule, removalPolicy, serviceName } = props;
  return Object.fromEntries(Object.entries({ alarmEmail, memorySize, maxExactPaths, schedule, removalPolicy, serviceName }).filter(([, v]) => v !== undefined));
}
