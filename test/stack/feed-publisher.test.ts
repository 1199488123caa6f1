import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { App, CfnElement, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as route53 from "aws-cdk-lib/aws-route53";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../../lambdas/contracts/env.js";
import { METRIC, METRICS_NAMESPACE, POWERTOOLS_ENV } from "../../lambdas/contracts/metrics.js";
import { ALARM_THRESHOLDS, FeedPublisher, type FeedPublisherProps } from "../../lib/feed-publisher.js";
import { FeedPublisherStack, stageNames } from "../../lib/feed-publisher-stack.js";

/**
 * The FeedPublisher construct's props, each on a template built without bundling (the
 * bundled default template is test/stack/feed-publisher-stack.test.ts).
 */

const CDK_CONTEXT: Record<string, unknown> = {
  ...JSON.parse(readFileSync(fileURLToPath(new URL("../../cdk.json", import.meta.url)), "utf8")).context,
  "aws:cdk:bundling-stacks": [],
};
const CERTIFICATE_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e";

const idOf = (c: IConstruct): string => {
  const cfn = c instanceof CfnElement ? c : c.node.defaultChild;
  if (!(cfn instanceof CfnElement)) throw new Error(`${c.node.path} has no CloudFormation resource`);
  return Stack.of(cfn).resolve(cfn.logicalId) as string;
};

/** A team's own stack with the construct under its own id, as the README shows. */
function inOwnStack(props: (stack: Stack) => FeedPublisherProps, nag = false) {
  const app = new App({ context: CDK_CONTEXT });
  const stack = new Stack(app, "Newsroom", { env: { account: "123456789012", region: "eu-west-1" } });
  const publisher = new FeedPublisher(stack, "Feeds", props(stack));
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, publisher, template: Template.fromStack(stack) };
}

function violationsOf(app: App) {
  return new AwsSolutionsChecks().validateScope(app).violations.map((v) => ({ rule: v.ruleName, at: v.violatingResources.map((r) => r.constructPath) }));
}

describe("defaults (FeedPublisherStack, no props)", () => {
  let stack: FeedPublisherStack;
  let template: Template;
  beforeAll(() => {
    stack = new FeedPublisherStack(new App({ context: CDK_CONTEXT }), "FeedPublisher");
    template = Template.fromStack(stack);
  });

  it("keep the data: table and buckets retained, deletion protection on, nothing emptied on delete", () => {
    template.hasResource("AWS::DynamoDB::Table", { DeletionPolicy: "Retain", Properties: Match.objectLike({ DeletionProtectionEnabled: true }) });
    for (const bucket of [stack.contentBucket, stack.siteBucket, stack.logBucket]) {
      expect(template.toJSON().Resources[idOf(bucket)]).toMatchObject({ DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
    }
    expect(template.findResources("Custom::S3AutoDeleteObjects")).toEqual({});
  });

  it("publish every 5 minutes, 256 MB, the invalidator's own maxExactPaths (no env var), active tracing, Powertools settings", () => {
    template.hasResourceProperties("AWS::Events::Rule", { ScheduleExpression: "rate(5 minutes)" });
    for (const [fn, service] of [[stack.ingest, "feedpub-ingest"], [stack.publish, "feedpub-publish"]] as const) {
      const props = template.toJSON().Resources[idOf(fn.function)].Properties;
      expect(props).toMatchObject({ MemorySize: 256, TracingConfig: { Mode: "Active" } });
      expect(props.Environment.Variables).toMatchObject({ [POWERTOOLS_ENV.serviceName]: service, [POWERTOOLS_ENV.metricsNamespace]: METRICS_NAMESPACE });
      expect(props.Environment.Variables).not.toHaveProperty(ENV.maxExactPaths);
    }
  });

  it("create no DNS record and no alarm topic", () => {
    expect(template.findResources("AWS::Route53::RecordSet")).toEqual({});
    expect(template.findResources("AWS::SNS::Topic")).toEqual({});
  });

  it("alarm on errors and sustained throttles of both functions", () => {
    for (const fn of [stack.ingest, stack.publish]) {
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: "AWS/Lambda", MetricName: "Errors", Statistic: "Sum", Period: 300,
        Dimensions: [{ Name: "FunctionName", Value: { Ref: idOf(fn.function) } }],
        ComparisonOperator: "GreaterThanThreshold", Threshold: 0, EvaluationPeriods: 1,
      });
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: "AWS/Lambda", MetricName: "Throttles", Statistic: "Sum",
        Dimensions: [{ Name: "FunctionName", Value: { Ref: idOf(fn.function) } }],
        Threshold: 0, EvaluationPeriods: 3, DatapointsToAlarm: 2,
      });
    }
  });

  it("alarm when the stream falls behind and when CloudFront answers 5xx", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda", MetricName: "IteratorAge", Statistic: "Maximum",
      Dimensions: [{ Name: "FunctionName", Value: { Ref: idOf(stack.publish.function) } }],
      ComparisonOperator: "GreaterThanThreshold", Threshold: ALARM_THRESHOLDS.iteratorAge.toMilliseconds(),
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/CloudFront", MetricName: "5xxErrorRate", Statistic: "Average",
      Dimensions: Match.arrayWith([{ Name: "DistributionId", Value: { Ref: idOf(stack.distribution) } }, { Name: "Region", Value: "Global" }]),
      Threshold: ALARM_THRESHOLDS.cloudFront5xxRatePercent, EvaluationPeriods: 3, DatapointsToAlarm: 2,
    });
  });

  it("have one dashboard, named for the service, that graphs the handlers' metrics and shows every alarm", () => {
    template.hasResourceProperties("AWS::CloudWatch::Dashboard", { DashboardName: "feedpub" });
    const body = JSON.stringify(stack.resolve(template.toJSON().Resources[idOf(stack.publisher.dashboard)].Properties.DashboardBody));
    for (const name of Object.values(METRIC)) expect(body, name).toContain(`\\"${name}\\"`);
    expect(body).toContain(`\\"${METRICS_NAMESPACE}\\"`);
    expect(body).toContain("feedpub-ingest");
    expect(body).toContain("feedpub-publish");
    for (const alarm of stack.publisher.alarms) expect(body).toContain(idOf(alarm));
    expect(stack.publisher.alarms).toHaveLength(2 + 2 * 2 + 2); // queues, errors+throttles per function, iterator age, CloudFront
    expect(body).toContain('\\"region\\":\\"us-east-1\\"'); // CloudFront's metrics, whatever the stack's region
  });

  it("stage names: none keeps the stack of existing deployments, a stage gets its own stack and service", () => {
    expect(stageNames(undefined)).toEqual({ stackId: "FeedPublisher", serviceName: "feedpub" });
    expect(stageNames("dev")).toEqual({ stackId: "FeedPublisher-dev", serviceName: "feedpub-dev" });
    expect(() => stageNames("Dev Stage")).toThrow(/stage "Dev Stage"/);
  });
});

describe("every prop set, in a team's own stack", () => {
  let t: ReturnType<typeof inOwnStack>;
  beforeAll(() => {
    t = inOwnStack((stack) => ({
      domainName: "news.example.com",
      certificate: acm.Certificate.fromCertificateArn(stack, "Certificate", CERTIFICATE_ARN),
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, "Zone", { hostedZoneId: "Z0123456789ABC", zoneName: "example.com" }),
      alarmEmail: "ops@example.com",
      memorySize: 512,
      maxExactPaths: 20,
      schedule: Duration.minutes(15),
      removalPolicy: RemovalPolicy.DESTROY,
      serviceName: "news-dev",
    }), true);
  });

  it("domain: CloudFront serves it with the certificate, and A/AAAA alias records point at the distribution", () => {
    t.template.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: Match.objectLike({ Aliases: ["news.example.com"], ViewerCertificate: Match.objectLike({ AcmCertificateArn: CERTIFICATE_ARN, MinimumProtocolVersion: "TLSv1.2_2021" }) }),
    });
    for (const type of ["A", "AAAA"]) {
      t.template.hasResourceProperties("AWS::Route53::RecordSet", {
        Name: "news.example.com.",
        Type: type,
        HostedZoneId: "Z0123456789ABC",
        AliasTarget: { DNSName: { "Fn::GetAtt": [idOf(t.publisher.distribution), "DomainName"] }, HostedZoneId: Match.anyValue() },
      });
    }
  });

  it("alarmEmail: every alarm notifies the encrypted topic the address is subscribed to", () => {
    t.template.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "ops@example.com" });
    const topic = { Ref: idOf(t.publisher.alarmTopic!) };
    for (const alarm of t.publisher.alarms) {
      expect(t.template.toJSON().Resources[idOf(alarm)].Properties.AlarmActions, alarm.node.id).toEqual([topic]);
    }
  });

  it("memorySize, maxExactPaths (as the env var the publish handler reads) and schedule", () => {
    for (const fn of [t.publisher.ingest, t.publisher.publish]) {
      expect(t.template.toJSON().Resources[idOf(fn.function)].Properties.MemorySize).toBe(512);
    }
    expect(t.template.toJSON().Resources[idOf(t.publisher.publish.function)].Properties.Environment.Variables[ENV.maxExactPaths]).toBe("20");
    expect(t.template.toJSON().Resources[idOf(t.publisher.ingest.function)].Properties.Environment.Variables).not.toHaveProperty(ENV.maxExactPaths);
    t.template.hasResourceProperties("AWS::Events::Rule", { ScheduleExpression: "rate(15 minutes)" });
  });

  it("removalPolicy DESTROY: table without deletion protection, buckets emptied and deleted, log groups deleted", () => {
    expect(t.template.toJSON().Resources[idOf(t.publisher.table)]).toMatchObject({ DeletionPolicy: "Delete", Properties: { DeletionProtectionEnabled: false } });
    for (const bucket of [t.publisher.contentBucket, t.publisher.siteBucket, t.publisher.logBucket]) {
      expect(t.template.toJSON().Resources[idOf(bucket)]).toMatchObject({ DeletionPolicy: "Delete" });
      t.template.hasResourceProperties("Custom::S3AutoDeleteObjects", { BucketName: { Ref: idOf(bucket) } });
    }
    for (const fn of [t.publisher.ingest, t.publisher.publish]) {
      expect(t.template.toJSON().Resources[idOf(fn.logGroup)]).toMatchObject({ DeletionPolicy: "Delete" });
    }
  });

  it("in a region other than us-east-1 there is no CloudFront alarm (its metrics live in us-east-1 only), the other alarms stay", () => {
    expect(t.template.findResources("AWS::CloudWatch::Alarm", { Properties: { Namespace: "AWS/CloudFront" } })).toEqual({});
    t.template.hasResourceProperties("AWS::CloudWatch::Alarm", { Namespace: "AWS/Lambda", MetricName: "IteratorAge" });
  });

  it("serviceName: names the functions' logs and metrics and the dashboard", () => {
    expect(t.template.toJSON().Resources[idOf(t.publisher.ingest.function)].Properties.Environment.Variables[POWERTOOLS_ENV.serviceName]).toBe("news-dev-ingest");
    expect(t.template.toJSON().Resources[idOf(t.publisher.publish.function)].Properties.Environment.Variables[POWERTOOLS_ENV.serviceName]).toBe("news-dev-publish");
    t.template.hasResourceProperties("AWS::CloudWatch::Dashboard", { DashboardName: "news-dev" });
  });

  it("passes cdk-nag AwsSolutions, synth included (the auto-delete provider acknowledged with a reason)", () => {
    expect(violationsOf(t.app)).toEqual([]);
    expect(() => t.app.synth()).not.toThrow();
  });
});

describe("props checked at construction", () => {
  const build = (props: (stack: Stack) => FeedPublisherProps) => () => inOwnStack(props);
  const cert = (stack: Stack, region = "us-east-1") => acm.Certificate.fromCertificateArn(stack, "C", `arn:aws:acm:${region}:123456789012:certificate/x`);

  it("domainName and certificate go together; hostedZone needs domainName; the certificate is in us-east-1", () => {
    expect(build(() => ({ domainName: "news.example.com" }))).toThrow(/domainName and certificate go together/);
    expect(build((s) => ({ certificate: cert(s) }))).toThrow(/domainName and certificate go together/);
    expect(build((s) => ({ hostedZone: route53.HostedZone.fromHostedZoneAttributes(s, "Z", { hostedZoneId: "Z1", zoneName: "example.com" }) }))).toThrow(/hostedZone needs domainName/);
    expect(build((s) => ({ domainName: "news.example.com", certificate: cert(s, "eu-west-1") }))).toThrow(/us-east-1/);
  });

  it("maxExactPaths is a non-negative integer, schedule at least a minute, serviceName fit for a dashboard name", () => {
    expect(build(() => ({ maxExactPaths: -1 }))).toThrow(/maxExactPaths -1/);
    expect(build(() => ({ maxExactPaths: 2.5 }))).toThrow(/maxExactPaths 2.5/);
    expect(build(() => ({ schedule: Duration.seconds(30) }))).toThrow(/at least one minute/);
    expect(build(() => ({ serviceName: "news dev" }))).toThrow(/serviceName "news dev"/);
  });
});
