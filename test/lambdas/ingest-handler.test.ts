import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { S3Event } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { DynamoDbContentStore } from "../../lambdas/adapters/dynamodb-content-store.js";
import { S3Content } from "../../lambdas/adapters/s3-content.js";
import { S3Reports } from "../../lambdas/adapters/s3-reports.js";
import { sha256 } from "../../lambdas/app/hash.js";
import { decodeS3Key, handleS3Event, type IngestHandlerDeps } from "../../lambdas/ingest.js";
import { aSite, anAuthor, articleText } from "../support/builders.js";

/** The ingest handler alone, with the SDK mocked (the emulator test covers the real thing). */

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);

function deps(): IngestHandlerDeps {
  const s3Client = new S3Client({ region: "us-east-1" });
  return {
    reports: new S3Reports(s3Client, "content"),
    store: new DynamoDbContentStore(new DynamoDBClient({ region: "us-east-1" }), "table"),
    source: new S3Content(s3Client, "content"),
  };
}

function event(key: string, eventName = "ObjectCreated:Put"): S3Event {
  return {
    Records: [{
      eventVersion: "2.1", eventSource: "aws:s3", awsRegion: "us-east-1", eventTime: "2024-06-01T10:00:00.000Z", eventName,
      userIdentity: { principalId: "x" }, requestParameters: { sourceIPAddress: "1.2.3.4" }, responseElements: { "x-amz-request-id": "r", "x-amz-id-2": "i" },
      s3: { s3SchemaVersion: "1.0", configurationId: "c", bucket: { name: "content", ownerIdentity: { principalId: "x" }, arn: "arn:aws:s3:::content" },
        object: { key, size: 10, eTag: "e", sequencer: "0062A1B2C3D4E5F601" } },
    }],
  };
}

/** The part of the SDK's streaming body that S3Content uses. */
const body = (text: string) => ({ transformToByteArray: async () => new TextEncoder().encode(text) });

beforeEach(() => {
  s3.reset();
  ddb.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: "SITE", sk: "SITE" } }).resolves({ Item: { site: aSite() } });
  ddb.on(QueryCommand).resolves({ Items: [{ pk: "AUTHOR", sk: "jane-doe", author: anAuthor(), deleted: false }] });
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: {} });
});

describe("ingest handler", () => {
  it("decodes S3 event keys: + is a space, %XX is UTF-8; the Unicode form is kept (it names a different object)", () => {
    expect(decodeS3Key("articles/ev+charging%2B%E2%9C%93%25.md")).toBe("articles/ev charging+✓%.md");
    const nfd = "articles/آج.md".normalize("NFD");
    expect(nfd).not.toBe("articles/آج.md".normalize("NFC"));
    expect(decodeS3Key(encodeURIComponent(nfd))).toBe(nfd);
  });

  it("reads the object, claims the slug for its key, stores the article as the next version, indexes it conditionally, marks its feeds dirty and writes a report", async () => {
    s3.on(GetObjectCommand, { Key: "articles/ev charging.md" }).resolves({ Body: body(articleText()), LastModified: new Date() } as never);
    // No record before the write; version 1 once written (ingest checks that it still owns the slug before marking).
    ddb.on(GetCommand, { Key: { pk: "ARTICLE#ev-charging", sk: "ARTICLE" } }).resolvesOnce({}).resolves({ Item: { slug: "ev-charging", sourceKey: "articles/ev charging.md", seq: "1", hash: "h", deleted: false, ver: 1 } });
    const seq = "0062A1B2C3D4E5F601".padStart(32, "0");
    // The slug's claims: this file's, live (read for the owner, and again after the write: no delete came meanwhile).
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ":pk": "CLAIM#ev-charging" } }).resolves({ Items: [{ pk: "CLAIM#ev-charging", sk: "articles/ev charging.md", seq, live: true }] });
    const [result] = await handleS3Event(deps(), event("articles/ev+charging.md"), new Date("2024-06-01T00:00:00Z"));
    expect(result).toMatchObject({ key: "articles/ev charging.md", outcome: "published" });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: "table", Item: { pk: "CLAIM#ev-charging", sk: "articles/ev charging.md", seq, live: true }, ConditionExpression: expect.stringContaining("seq <= :seq"),
    });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: "table",
      Item: expect.objectContaining({ pk: "ARTICLE#ev-charging", sourceKey: "articles/ev charging.md", seq, ver: 1, indexPending: true }),
      ConditionExpression: expect.stringContaining("attribute_not_exists(pk)"),
    });
    // The feed index: one entry per feed the article is in, each conditional on its version.
    for (const pk of ["FEED#site", "FEED#category/news", "FEED#author/jane-doe"]) {
      expect(ddb).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ pk, ver: 1 }), ConditionExpression: expect.stringContaining("ver <= :ver") });
    }
    expect(ddb).toHaveReceivedCommandWith(BatchWriteCommand, { RequestItems: { table: expect.arrayContaining([
      { PutRequest: { Item: expect.objectContaining({ pk: "DIRTY", sk: expect.stringMatching(/^site\|\d{4}-\d\d-\d\dT[\d:.]+Z#ev-charging$/) }) } },
    ]) } });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: "content", Key: "_reports/articles/ev charging.md.txt", Body: `articles/ev charging.md: published\nversion: ${sha256(articleText())}\n` });
  });

  it("a rejected file gets a report and no write to the table", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body("---\ntitle: x\n---\n") } as never);
    const [result] = await handleS3Event(deps(), event("articles/bad.md"), new Date());
    expect(result?.outcome).toBe("rejected");
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Key: "_reports/articles/bad.md.txt", Body: expect.stringMatching(/error in author: is missing/) });
  });

  it("ignores s3:TestEvent and keys outside the content layout", async () => {
    expect(await handleS3Event(deps(), { Service: "Amazon S3", Event: "s3:TestEvent" } as never, new Date())).toEqual([]);
    const [r] = await handleS3Event(deps(), event("articles/.DS_Store"), new Date());
    expect(r?.outcome).toBe("ignored");
    expect(s3).not.toHaveReceivedAnyCommand();
  });

  it("rethrows store failures so Lambda retries the event", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(articleText()) } as never);
    ddb.on(PutCommand).rejects(new Error("ProvisionedThroughputExceededException"));
    await expect(handleS3Event(deps(), event("articles/a.md"), new Date())).rejects.toThrow("ProvisionedThroughputExceededException");
  });
});
