import { CloudFrontClient, CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { HeadObjectCommand, NotFound, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBStreamEvent, ScheduledEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { CloudFrontInvalidator } from "../../lambdas/adapters/cloudfront-invalidator.js";
import { DynamoDbContentStore } from "../../lambdas/adapters/dynamodb-content-store.js";
import { DynamoDbPublishLedger } from "../../lambdas/adapters/dynamodb-publish-ledger.js";
import { MemoryHubNotifier } from "../../lambdas/adapters/memory-hub-notifier.js";
import { S3Site } from "../../lambdas/adapters/s3-site.js";
import type { PublishDeps } from "../../lambdas/app/publish.js";
import { readConfig } from "../../lambdas/contracts/env.js";
import { handlePublishEvent } from "../../lambdas/publish.js";
import { aSite, anAuthor, anEntry } from "../support/builders.js";

/** The publish handler alone, with the SDK mocked (the emulator test covers the real thing). */

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
const cf = mockClient(CloudFrontClient);

function deps(): PublishDeps {
  const dynamo = new DynamoDBClient({ region: "us-east-1" });
  return {
    store: new DynamoDbContentStore(dynamo, "table"),
    ledger: new DynamoDbPublishLedger(dynamo, "table"),
    writer: new S3Site(new S3Client({ region: "us-east-1" }), "site"),
    // One feed's change writes 6 paths (three formats, its page, index.html, OPML), one
    // over the default of exact paths: a higher limit keeps the exact list visible here
    // (the wildcard is tested with the invalidator).
    invalidator: new CloudFrontInvalidator(new CloudFrontClient({ region: "us-east-1" }), "E123", { maxExactPaths: 10 }),
  };
}

const streamEvent = (...pks: string[]): DynamoDBStreamEvent => ({
  Records: pks.map((pk, i) => ({ eventID: String(i), eventName: "MODIFY", dynamodb: { Keys: { pk: { S: pk }, sk: { S: "x" } } } })),
});

beforeEach(() => {
  s3.reset();
  ddb.reset();
  cf.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: "SITE", sk: "SITE" } }).resolves({ Item: { site: aSite({ hubs: [] }) } });
  ddb.on(BatchGetCommand).resolves({ Responses: {} });
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(QueryCommand, { ExpressionAttributeValues: { ":pk": "AUTHOR" } }).resolves({ Items: [{ sk: "jane-doe", author: anAuthor(), deleted: false }] });
  ddb.on(QueryCommand, { ExpressionAttributeValues: { ":pk": "FEEDS" } }).resolves({ Items: [{ kind: "category", slug: "news", title: "News" }] });
  ddb.on(QueryCommand, { ExpressionAttributeValues: { ":pk": "DIRTY" } }).resolves({ Items: [{ feed: "category/news", token: "t1" }] });
  ddb.on(QueryCommand, { ExpressionAttributeValues: { ":pk": "FEED#category/news", ":max": expect.any(String) } }).resolves({ Items: [{ entry: anEntry({ slug: "a" }) }] });
  s3.on(HeadObjectCommand).rejects(new NotFound({ message: "not found", $metadata: { httpStatusCode: 404 } }));
  s3.on(PutObjectCommand).resolves({});
  cf.on(CreateInvalidationCommand).resolves({});
});

describe("publish handler", () => {
  it("reads what to rebuild from the dirty marks, not from the stream records, and clears the marks it published", async () => {
    const report = await handlePublishEvent(deps(), streamEvent("DIRTY"), new Date("2024-06-01T00:00:00Z"));
    expect(report?.feeds).toBe(1);
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: "DIRTY", sk: "category/news|" }, ConditionExpression: "#token = :token", ExpressionAttributeValues: { ":token": "t1" },
    });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, { Item: { pk: "PUBLISH", sk: "LAST", at: "2024-06-01T00:00:00.000Z" } });
  });

  it("writes each changed file with its content type, cache header and hash, then one invalidation of exactly those paths", async () => {
    const report = await handlePublishEvent(deps(), streamEvent("FEED#category/news"), new Date("2024-06-01T00:00:00Z"));
    expect(report?.feeds).toBe(1);
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: "site", Key: "categories/news/feed.xml", ContentType: "application/rss+xml; charset=utf-8",
      CacheControl: "public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400", Metadata: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Key: "categories/news/feed.json", ContentType: "application/feed+json; charset=utf-8" });
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 6); // three formats, the feed page, index.html, feeds.opml
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);
    expect(cf).toHaveReceivedCommandWith(CreateInvalidationCommand, {
      DistributionId: "E123",
      InvalidationBatch: { CallerReference: expect.any(String), Paths: { Quantity: 6, Items: expect.arrayContaining(["/categories/news/feed.xml", "/categories/news/feed.html", "/index.html"]) } },
    });
  });

  it("writes nothing and invalidates nothing when the stored hashes match", async () => {
    const first = await handlePublishEvent(deps(), streamEvent("FEED#category/news"), new Date("2024-06-01T00:00:00Z"));
    const hashes = new Map(s3.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input.Metadata?.sha256]));
    expect(first?.written).toHaveLength(6);
    s3.reset();
    cf.reset();
    s3.on(HeadObjectCommand).callsFake((input: { Key: string }) => ({ Metadata: { sha256: hashes.get(input.Key) } }));
    const second = await handlePublishEvent(deps(), streamEvent("FEED#category/news"), new Date("2024-06-01T00:00:00Z"));
    expect(second?.written).toEqual([]);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
  });

  it("with nothing marked and nothing due, writes and invalidates nothing", async () => {
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ":pk": "DIRTY" } }).resolves({ Items: [] });
    expect(await handlePublishEvent(deps(), streamEvent("DIRTY"), new Date())).toBeUndefined();
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
  });

  it("a scheduled run rebuilds the feeds of articles that became due since the last complete publish, found with one Query", async () => {
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ":pk": "DIRTY" } }).resolves({ Items: [] });
    ddb.on(GetCommand, { Key: { pk: "PUBLISH", sk: "LAST" } }).resolves({ Item: { at: "2024-05-31T00:00:00.000Z" } });
    ddb.on(QueryCommand, { KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to" }).resolves({ Items: [{ entry: anEntry({ slug: "due", categories: [{ slug: "news", name: "News" }] }) }] });
    const scheduled = { "detail-type": "Scheduled Event", source: "aws.events" } as ScheduledEvent;
    const report = await handlePublishEvent(deps(), scheduled, new Date("2024-06-01T00:00:00Z"));
    expect(report?.feeds).toBe(3); // site, category/news, author/jane-doe
  });

  it("logs the hubs that still failed, as the run's report counts them (the handler's HubFailures metric reads the same report)", async () => {
    ddb.on(GetCommand, { Key: { pk: "SITE", sk: "SITE" } }).resolves({ Item: { site: aSite({ hubs: ["https://ok.example/", "https://down.example/"] }) } });
    const hubs = new MemoryHubNotifier();
    hubs.failing.add("https://down.example/");
    const logged: Record<string, unknown>[] = [];
    const report = await handlePublishEvent({ ...deps(), hubs, log: (f) => logged.push(f) }, streamEvent("DIRTY"), new Date("2024-06-01T00:00:00Z"));
    expect(hubs.calls).toHaveLength(1);
    expect(report?.hubFailures).toBe(1);
    expect(logged).toEqual([expect.objectContaining({ feeds: 1, hubFailures: 1 })]);
  });

  it("a run whose hubs all answered logs no hub failures", async () => {
    ddb.on(GetCommand, { Key: { pk: "SITE", sk: "SITE" } }).resolves({ Item: { site: aSite({ hubs: ["https://ok.example/"] }) } });
    const logged: Record<string, unknown>[] = [];
    const report = await handlePublishEvent({ ...deps(), hubs: new MemoryHubNotifier(), log: (f) => logged.push(f) }, streamEvent("DIRTY"), new Date("2024-06-01T00:00:00Z"));
    expect(report?.hubFailures).toBe(0);
    expect(logged[0]).not.toHaveProperty("hubFailures");
  });

  it("readConfig names every missing variable at once", () => {
    expect(() => readConfig({ TABLE_NAME: "t" }, ["tableName", "siteBucket", "distributionId"])).toThrow("missing environment variables: SITE_BUCKET, DISTRIBUTION_ID");
  });
});
