import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { App, CfnElement, Stack, Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { FeedPublisherStack, type FeedPublisherStackProps } from "../../lib/feed-publisher-stack.js";

/**
 * The editor's access to the content bucket (issue 14): the editor and admin managed
 * policies, statement for statement, and the GitHub Actions role's trust policy. No
 * bundling: these resources do not depend on the functions' code.
 */

const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../cdk.json", import.meta.url)), "utf8"),
).context;

function synth(props: FeedPublisherStackProps = {}, nag = false) {
  const app = new App({ context: { ...CDK_CONTEXT, "aws:cdk:bundling-stacks": [] } });
  const stack = new FeedPublisherStack(app, "FeedPublisher", props);
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, template: Template.fromStack(stack) };
}

type Json = Record<string, any>;

const idOf = (c: IConstruct): string => {
  const cfn = c instanceof CfnElement ? c : c.node.defaultChild;
  if (!(cfn instanceof CfnElement)) throw new Error(`${c.node.path} has no CloudFormation resource`);
  return Stack.of(cfn).resolve(cfn.logicalId) as string;
};

function resourceOf(template: Template, c: IConstruct): Json {
  return template.toJSON().Resources[idOf(c)];
}

describe("editor access", () => {
  const { stack, template } = synth();
  const bucket = { "Fn::GetAtt": [idOf(stack.contentBucket), "Arn"] };
  const objects = (key: string) => ({ "Fn::Join": ["", [bucket, `/${key}`]] });

  it("the editor policy: read site.yaml, authors and reports; list by content prefix; write and delete articles and authors; nothing else", () => {
    const policy = resourceOf(template, stack.editorAccess.editorPolicy);
    expect(policy.Type).toBe("AWS::IAM::ManagedPolicy");
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      { Effect: "Allow", Action: "s3:GetObject", Resource: [objects("_reports/*"), objects("authors/*"), objects("site.yaml")] },
      {
        Effect: "Allow", Action: "s3:ListBucket", Resource: bucket,
        Condition: { StringLike: { "s3:prefix": ["site.yaml", "authors/*", "articles/*", "_reports/*"] } },
      },
      { Effect: "Allow", Action: ["s3:DeleteObject", "s3:PutObject"], Resource: [objects("articles/*"), objects("authors/*")] },
    ]);
    expect(policy.Properties).not.toHaveProperty("Roles");
    expect(policy.Properties).not.toHaveProperty("Users");
  });

  it("the admin policy: only PutObject on site.yaml", () => {
    const policy = resourceOf(template, stack.editorAccess.adminPolicy);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([{ Effect: "Allow", Action: "s3:PutObject", Resource: objects("site.yaml") }]);
  });

  it("both are stack outputs; without githubRepo there is no role and no OIDC provider", () => {
    const outputs = template.toJSON().Outputs;
    expect(outputs.EditorPolicyArn.Value).toEqual({ Ref: idOf(stack.editorAccess.editorPolicy) });
    expect(outputs.AdminPolicyArn.Value).toEqual({ Ref: idOf(stack.editorAccess.adminPolicy) });
    expect(outputs).not.toHaveProperty("GitHubPublishRoleArn");
    expect(stack.editorAccess.githubRole).toBeUndefined();
    template.resourceCountIs("AWS::IAM::OIDCProvider", 0);
  });
});

describe("the GitHub Actions publish role (githubRepo set)", () => {
  const { stack, template } = synth({ editorAccess: { githubRepo: "newsroom/articles" } });
  const role = stack.editorAccess.githubRole!;

  it("trusts only GitHub's OIDC tokens for the main branch of that repository, for STS, and carries the editor policy alone", () => {
    const provider = template.findResources("AWS::IAM::OIDCProvider");
    expect(Object.values(provider).map((p) => p.Properties)).toEqual([
      { Url: "https://token.actions.githubusercontent.com", ClientIdList: ["sts.amazonaws.com"] },
    ]);
    const props = resourceOf(template, role).Properties;
    expect(props.AssumeRolePolicyDocument.Statement).toEqual([{
      Effect: "Allow",
      Action: "sts:AssumeRoleWithWebIdentity",
      Principal: { Federated: { Ref: Object.keys(provider)[0] } },
      Condition: {
        StringEquals: {
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
          "token.actions.githubusercontent.com:sub": "repo:newsroom/articles:ref:refs/heads/main",
        },
      },
    }]);
    expect(props.ManagedPolicyArns).toEqual([{ Ref: idOf(stack.editorAccess.editorPolicy) }]);
    expect(template.findResources("AWS::IAM::Policy", { Properties: { Roles: [{ Ref: idOf(role) }] } })).toEqual({});
    expect(template.toJSON().Outputs.GitHubPublishRoleArn.Value).toEqual({ "Fn::GetAtt": [idOf(role), "Arn"] });
  });

  it("uses the account's existing provider when given, and another branch when asked", () => {
    const arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
    const other = synth({ editorAccess: { githubRepo: "newsroom/articles", githubBranch: "publish", githubOidcProviderArn: arn } });
    other.template.resourceCountIs("AWS::IAM::OIDCProvider", 0);
    const statement = resourceOf(other.template, other.stack.editorAccess.githubRole!).Properties.AssumeRolePolicyDocument.Statement[0];
    expect(statement.Principal).toEqual({ Federated: arn });
    expect(statement.Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toBe("repo:newsroom/articles:ref:refs/heads/publish");
  });

  it("refuses a githubRepo that is not owner/repo", () => {
    expect(() => synth({ editorAccess: { githubRepo: "https://github.com/newsroom/articles" } })).toThrow(/githubRepo "https:\/\/github\.com\/newsroom\/articles": expected owner\/repo/);
  });

  it("passes cdk-nag AwsSolutions, synth included (the policies' prefix wildcards acknowledged with a reason)", () => {
    const { app } = synth({ editorAccess: { githubRepo: "newsroom/articles" } }, true);
    const violations = new AwsSolutionsChecks().validateScope(app).violations.map((v) => ({ rule: v.ruleName, at: v.violatingResources.map((r) => r.constructPath) }));
    expect(violations).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });
});
