import { CfnElement, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { ARTICLES_PREFIX, AUTHORS_PREFIX, SITE_KEY } from "../lambdas/contracts/content-keys.js";
import { REPORT_PREFIX } from "../lambdas/contracts/env.js";

/** GitHub Actions' OIDC issuer, without the scheme: the provider ARN's name and the condition keys' prefix. */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

/** The options of `EditorAccess` a stack passes through (everything but the bucket). */
export interface EditorAccessOptions {
  /**
   * `owner/repo` of a content repository whose GitHub Actions workflow publishes with
   * `feedpub upload --wait`: a role it can assume through OIDC, with the editor policy.
   * @default - no role
   */
  readonly githubRepo?: string;
  /** The branch whose workflow runs may assume the role. @default "main" */
  readonly githubBranch?: string;
  /**
   * The account's GitHub OIDC provider (IAM allows one per issuer and account).
   * @default - one is created with the role
   */
  readonly githubOidcProviderArn?: string;
}

export interface EditorAccessProps extends EditorAccessOptions {
  /** The content bucket editors upload to. */
  readonly contentBucket: s3.IBucket;
}

/**
 * What editors may do to the content bucket, as managed policies to attach to their
 * users, groups or SSO permission sets (stack outputs), and optionally a role for a CI
 * workflow. Editors read the site settings, the authors and ingest's reports, list by
 * prefix, and write and delete articles and authors; changing `site.yaml` (every feed's
 * settings) is the admin policy's, on top of the editor's.
 */
export class EditorAccess extends Construct {
  readonly editorPolicy: iam.ManagedPolicy;
  readonly adminPolicy: iam.ManagedPolicy;
  /** Present when `githubRepo` is set. */
  readonly githubRole?: iam.Role;

  constructor(scope: Construct, id: string, props: EditorAccessProps) {
    super(scope, id);
    const bucket = props.contentBucket;
    const objects = (...keys: string[]) => keys.map((k) => bucket.arnForObjects(k));

    this.editorPolicy = new iam.ManagedPolicy(this, "EditorPolicy", {
      description: "feedpub editor: upload and remove articles and authors, read site.yaml and the reports (feedpub upload --wait, status, remove)",
      statements: [
        new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: objects(SITE_KEY, `${AUTHORS_PREFIX}*`, `${REPORT_PREFIX}*`) }),
        new iam.PolicyStatement({
          actions: ["s3:ListBucket"],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { "s3:prefix": [SITE_KEY, `${AUTHORS_PREFIX}*`, `${ARTICLES_PREFIX}*`, `${REPORT_PREFIX}*`] } },
        }),
        new iam.PolicyStatement({ actions: ["s3:PutObject", "s3:DeleteObject"], resources: objects(`${ARTICLES_PREFIX}*`, `${AUTHORS_PREFIX}*`) }),
      ],
    });
    this.adminPolicy = new iam.ManagedPolicy(this, "AdminPolicy", {
      description: "feedpub admin: change the site settings (site.yaml); attach with the editor policy",
      statements: [new iam.PolicyStatement({ actions: ["s3:PutObject"], resources: objects(SITE_KEY) })],
    });
    // cdk-nag names each wildcard resource by the bucket's logical ID: acknowledge exactly those three.
    const cfnBucket = bucket.node.defaultChild;
    const bucketRef = cfnBucket instanceof CfnElement ? `<${Stack.of(this).resolve(cfnBucket.logicalId) as string}.Arn>` : undefined;
    for (const prefix of [ARTICLES_PREFIX, AUTHORS_PREFIX, REPORT_PREFIX]) {
      Validations.of(this.editorPolicy).acknowledge({
        id: bucketRef ? `AwsSolutions-IAM5[Resource::${bucketRef}/${prefix}*]` : "AwsSolutions-IAM5",
        reason: `Editors work on every file under ${prefix} of the content bucket: the wildcard is that key prefix.`,
      });
    }
    if (props.githubRepo !== undefined) {
      this.githubRole = this.githubPublishRole(props.githubRepo, props.githubBranch ?? "main", props.githubOidcProviderArn);
    }
  }

  private githubPublishRole(repo: string, branch: string, providerArn: string | undefined): iam.Role {
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo)) {
      throw new Error(`githubRepo ${JSON.stringify(repo)}: expected owner/repo, e.g. -c githubRepo=newsroom/articles`);
    }
    const provider = providerArn
      ? iam.OidcProviderNative.fromOidcProviderArn(this, "GitHubOidc", providerArn)
      : new iam.OidcProviderNative(this, "GitHubOidc", { url: `https://${GITHUB_OIDC_HOST}`, clientIds: ["sts.amazonaws.com"] });
    const role = new iam.Role(this, "GitHubPublishRole", {
      description: `feedpub: GitHub Actions of ${repo} (${branch}) publishing with feedpub upload --wait`,
      assumedBy: new iam.WebIdentityPrincipal(provider.oidcProviderArn, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: "sts.amazonaws.com",
          // Only workflow runs on that branch of that repository: not forks, not pull requests.
          [`${GITHUB_OIDC_HOST}:sub`]: `repo:${repo}:ref:refs/heads/${branch}`,
        },
      }),
      managedPolicies: [this.editorPolicy],
    });
    return role;
  }
}
