import { CloudFrontClient, CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, DynamoDBStreamEvent, S3Event } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createTelemetry, PowertoolsIngestObserver, recordPublish, traceClient, traced } from "../../lambdas/adapters/powertools-telemetry.js";
import { loadTracer } from "../../lambdas/adapters/powertools-tracer.js";
import { ENV, readOptionalInteger } from "../../lambdas/contracts/env.js";
import { METRIC, METRICS_NAMESPACE, POWERTOOLS_ENV } from "../../lambdas/contracts/metrics.js";
import { handler as ingestHandler } from "../../lambdas/ingest.js";
import { handler as publishHandler } from "../../lambdas/publish.js";
import { aSite, anAuthor, anEntry, articleText } from "../support/builders.js";

/**
 * The Lambda entry points themselves (`handler`), configured from the environment as on
 * AWS, with the SDK mocked: their structured logs and EMF metrics are read back from
 * stdout, where Powertools writes them and CloudWatch picks them up.
 */

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
const cf = mockClient(CloudFrontClient);

type Line = Record<string, unknown> & { _aws?: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } };
let lines: Line[];

const context = { functionName: "fn", awsRequestId: "req-1", invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:fn", memoryLimitInMB: "256", functionVersion: "$LATEST" } as Context;

beforeEach(() => {
  s3.reset();
  ddb.reset();
  cf.reset();
  lines = [];
  // Powertools writes INFO lines and EMF to stdout, WARN and ERROR to stderr.
  const collect = (chunk: string | Uint8Array) => {
    for (const text of String(chunk).split("\n").filter(Boolean)) {
      try {
        lines.push(JSON.parse(text) as Line);
      } catch {
        // not a JSON line
      }
    }
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(collect);
  vi.spyOn(process.stderr, "write").mockImplementation(collect);
  vi.stubEnv(ENV.tableName, "table");
  vi.stubEnv(ENV.contentBucket, "content");
  vi.stubEnv(ENV.siteBucket, "site");
  vi.stubEnv(ENV.distributionId, "E123");
  vi.stubEnv(ENV.maxExactPaths, "0");
  vi.stubEnv(POWERTOOLS_ENV.metricsNamespace, METRICS_NAMESPACE);
  vi.stubEnv("AWS_REGION", "us-east-1");
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const emf = () => lines.filter((l) => l._aws);
const metricValues = (): Record<string, unknown> => Object.assign({}, ...emf().flatMap((l) => l._aws!.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => ({ [x.Name]: l[x.Name] })))));

function s3Event(key: string): S3Event {
  return {
    Records: [{
      eventVersion: "2.1", eventSource: "aws:s3", awsRegion: "us-east-1", eventTime: "2024-06-01T10:00:00.000Z", eventName: "ObjectCreated:Put",
      userIdentity: { principalId: "x" }, requestParameters: { sourceIPAddress: "1.2.3.4" }, responseElements: { "x-amz-request-id": "r", "x-amz-id-2": "i" },
      s3: { s3SchemaVersion: "1.0", configurationId: "c", bucket: { name: "content", ownerIdentity: { principalId: "x" }, arn: "arn:aws:s3:::content" },
        object: { key, size: 10, eTag: "e", sequencer: "0062A1B2C3D4E5F601" } },
    }],
  };
}

describe("ingest handler telemetry", () => {
  it("logs each file as structured JSON with the S3 key and sequencer, and counts it in EMF under the feedpub namespace", async () => {
    vi.stubEnv(POWERTOOLS_ENV.serviceName, "feedpub-ingest");
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { Key: { pk: "SITE", sk: "SITE" } }).resolves({ Item: { site: aSite() } });
    ddb.on(QueryCommand).resolves({ Items: [{ pk: "AUTHOR", sk: "jane-doe", author: anAuthor(), deleted: false }] });
    // The file's own claim on its slug (ingest reads the claims again after writing).
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ":pk": "CLAIM#ev" } }).resolves({ Items: [{ pk: "CLAIM#ev", sk: "articles/ev.md", seq: "0062A1B2C3D4E5F601".padStart(32, "0"), live: true }] });
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: {} });
    ddb.on(GetCommand, { Key: { pk: "ARTICLE#ev", sk: "ARTICLE" } }).resolvesOnce({}).resolves({ Item: { slug: "ev", sourceKey: "articles/ev.md", seq: "1", hash: "h", deleted: false, ver: 1 } });
    s3.on(GetObjectCommand).resolves({ Body: { transformToByteArray: async () => new TextEncoder().encode(articleText()) }, LastModified: new Date() } as never);

    await ingestHandler(s3Event("articles/ev.md"), context);

    expect(lines).toContainEqual(expect.objectContaining({
      level: "INFO", message: "file published", service: "feedpub-ingest", key: "articles/ev.md", outcome: "published",
      s3: { key: "articles/ev.md", sequencer: "0062A1B2C3D4E5F601", eventName: "ObjectCreated:Put" },
      function_request_id: "req-1",
    }));
    const blob = emf().find((l) => METRIC.filesAccepted in l);
    expect(blob).toMatchObject({ [METRIC.filesAccepted]: 1, service: "feedpub-ingest" });
    expect(blob!._aws!.CloudWatchMetrics[0]).toMatchObject({ Namespace: METRICS_NAMESPACE, Dimensions: [["service"]] });
  });
});

describe("publish handler telemetry", () => {
  it("publishes feeds, rebuilt, files written, duration, invalidation and lease waits, hub failures; maxExactPaths comes from the env var", async () => {
    vi.stubEnv(POWERTOOLS_ENV.serviceName, "feedpub-publish");
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { Key: { pk: "SITE", sk: "SITE" } }).resolves({ Item: { site: aSite({ hubs: [] }) } });
    ddb.on(BatchGetCommand).resolves({ Responses: {} });
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ":pk": "FEEDS" } }).resolves({ Items: [{ kind: "category", slug: "news", title: "News" }] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ":pk": "DIRTY" } }).resolves({ Items: [{ feed: "category/news", token: "t1" }] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ":pk": "FEED#category/news", ":max": expect.any(String) } }).resolves({ Items: [{ entry: anEntry({ slug: "a" }) }] });
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: "not found", $metadata: { httpStatusCode: 404 } }));
    s3.on(PutObjectCommand).resolves({});
    cf.on(CreateInvalidationCommand).resolves({});
    const event: DynamoDBStreamEvent = { Records: [{ eventID: "1", eventName: "INSERT", dynamodb: { Keys: { pk: { S: "DIRTY" } }, SequenceNumber: "111" } }] };

    await publishHandler(event, context);

    // INVALIDATION_MAX_EXACT_PATHS=0: any change is one `/*`.
    expect(cf).toHaveReceivedCommandWith(CreateInvalidationCommand, { InvalidationBatch: expect.objectContaining({ Paths: { Quantity: 1, Items: ["/*"] } }) });
    expect(lines).toContainEqual(expect.objectContaining({
      message: "published", service: "feedpub-publish", feeds: 1,
      batch: { trigger: "stream", records: 1, firstSequenceNumber: "111", lastSequenceNumber: "111" },
    }));
    const values = metricValues();
    // Files: three formats, the feed page, index.html, feeds.opml and the font.
    expect(values).toMatchObject({ [METRIC.feedsRebuilt]: 1, [METRIC.filesWritten]: 7, [METRIC.hubFailures]: 0, [METRIC.leaseWait]: 0 });
    expect(values[METRIC.publishDuration]).toEqual(expect.any(Number));
    expect(values[METRIC.invalidationWait]).toEqual(expect.any(Number));
    expect(emf().flatMap((l) => l._aws!.CloudWatchMetrics.map((m) => m.Namespace))).toEqual(expect.arrayContaining([METRICS_NAMESPACE]));
  });
});

describe("telemetry parts", () => {
  it("the ingest observer counts rejected and held files, and nothing for a file outside the content layout", () => {
    const telemetry = createTelemetry();
    const observer = new PowertoolsIngestObserver(telemetry);
    const trigger = { key: "k", sequencer: "1", eventName: "ObjectCreated:Put" };
    observer.file({ key: "articles/a.md", outcome: "rejected", problems: [] }, trigger);
    observer.file({ key: "articles/b.md", outcome: "held", problems: [] }, trigger);
    observer.file({ key: "articles/.DS_Store", outcome: "ignored", problems: [] }, trigger);
    telemetry.metrics.publishStoredMetrics();
    expect(metricValues()).toEqual({ [METRIC.filesRejected]: 1, [METRIC.filesHeld]: 1 });
    expect(lines.filter((l) => l.level === "WARN" && l.message === "file rejected")).toHaveLength(1);
  });

  it("HubFailures is the publish report's count of WebSub hubs that still failed after their retries", () => {
    const telemetry = createTelemetry();
    recordPublish(telemetry, { feeds: 1, entriesRead: 3, written: ["feed.xml"], unchanged: 2, hubFailures: 2 }, 40);
    telemetry.metrics.publishStoredMetrics();
    expect(metricValues()).toMatchObject({ [METRIC.hubFailures]: 2, [METRIC.feedsRebuilt]: 1, [METRIC.filesWritten]: 1, [METRIC.publishDuration]: 40 });
  });

  it("INVALIDATION_MAX_EXACT_PATHS is optional, and a bad value names the variable", () => {
    expect(readOptionalInteger({}, "maxExactPaths")).toBeUndefined();
    expect(readOptionalInteger({ [ENV.maxExactPaths]: " 12 " }, "maxExactPaths")).toBe(12);
    // By name: main moves ConfigError from core/errors.ts to contracts/env.ts.
    expect(() => readOptionalInteger({ [ENV.maxExactPaths]: "ten" }, "maxExactPaths")).toThrow(expect.objectContaining({ name: "ConfigError" }));
    expect(() => readOptionalInteger({ [ENV.maxExactPaths]: "-1" }, "maxExactPaths")).toThrow(/INVALIDATION_MAX_EXACT_PATHS="-1"/);
  });
});

describe("tracing (Powertools Tracer; traced for real in test/lambdas/layer.test.ts)", () => {
  it("from source, Tracer comes from node_modules and is off outside Lambda: SDK clients unchanged, subsegments just run", async () => {
    const telemetry = createTelemetry();
    expect(telemetry.tracer).toBeDefined();
    expect(telemetry.tracer!.isTracingEnabled()).toBe(false);
    const client = new S3Client({ region: "us-east-1" });
    expect(traceClient(telemetry, client)).toBe(client);
    const annotations: unknown[] = [];
    await expect(traced(telemetry, "### x", { a: 1 }, async (annotate) => {
      annotate({ b: 2 });
      annotations.push("ran");
      return 7;
    })).resolves.toBe(7);
    expect(annotations).toEqual(["ran"]);
    expect(lines.filter((l) => l.message === "tracing off")).toEqual([]);
  });

  it("without the Tracer package (a bundle without the layer), telemetry works untraced and says so once", async () => {
    const telemetry = createTelemetry(() => ({ tracer: undefined, reason: "@aws-lambda-powertools/tracer not found" }));
    expect(telemetry.tracer).toBeUndefined();
    const client = new S3Client({ region: "us-east-1" });
    expect(traceClient(telemetry, client)).toBe(client);
    await expect(traced(telemetry, "### x", {}, async () => "done")).resolves.toBe("done");
    await expect(traced(telemetry, "### x", {}, async () => { throw new Error("boom"); })).rejects.toThrow("boom");
    expect(lines.filter((l) => l.message === "tracing off")).toEqual([expect.objectContaining({ level: "WARN", reason: "@aws-lambda-powertools/tracer not found" })]);
  });

  it("loadTracer finds the package from source", () => {
    const loaded = loadTracer();
    expect(loaded.tracer?.constructor.name).toBe("Tracer");
  });
});
