import { DeleteObjectCommand, GetObjectCommand, ListObjectsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { DynamoDBStreamEvent, S3Event } from "aws-lambda";
import { DynamoDbContentStore } from "../../lambdas/adapters/dynamodb-content-store.js";
import { DynamoDbPublishLedger } from "../../lambdas/adapters/dynamodb-publish-ledger.js";
import { MemoryHubNotifier } from "../../lambdas/adapters/memory-hub-notifier.js";
import { MemoryInvalidator } from "../../lambdas/adapters/memory-invalidator.js";
import { S3Content } from "../../lambdas/adapters/s3-content.js";
import { S3Reports } from "../../lambdas/adapters/s3-reports.js";
import { S3Site } from "../../lambdas/adapters/s3-site.js";
import type { PublishDeps, PublishReport } from "../../lambdas/app/publish.js";
import type { IngestResult } from "../../lambdas/app/ingest.js";
import { handleS3Event, type IngestHandlerDeps } from "../../lambdas/ingest.js";
import { handlePublishEvent } from "../../lambdas/publish.js";
import { startLocalDynamo, type LocalDynamo } from "../../local/local-dynamo.js";
import { isNotified } from "../../lambdas/contracts/content-keys.js";
import { recordStream, startS3, type LocalS3 } from "./emulators.js";
import { assertJsonFeed11, parseXmlStrict } from "./parsers.js";

/**
 * The deployed pipeline with its real handlers, on s3rver (both buckets) and dynalite:
 * uploads to the content bucket produce S3 events (encoded as real S3 encodes keys), the
 * ingest handler takes them, the table writes it makes are recorded as the stream, and
 * the publish handler writes to the site bucket. CloudFront and the WebSub hubs are
 * recorders.
 */

export const CONTENT = "content-bucket";
export const SITE = "site-bucket";

export interface AwsHarness {
  readonly s3: LocalS3;
  readonly dynamo: LocalDynamo;
  readonly store: DynamoDbContentStore;
  readonly ledger: DynamoDbPublishLedger;
  readonly ingestDeps: IngestHandlerDeps;
  readonly publishDeps: PublishDeps;
  /** Path lists of every invalidation requested, in order. */
  readonly invalidations: string[][];
  /** The caller reference of each invalidation, in order (CloudFront ignores a repeated one). */
  readonly invalidationRefs: string[];
  /** Feed URLs of every hub ping, in order. */
  readonly pings: string[][];
  upload(key: string, body: string | Uint8Array): Promise<void>;
  remove(key: string): Promise<void>;
  /** S3 events since the last call, for the stack's notification filters, keys encoded as S3 does. */
  takeEvents(): S3Event[];
  ingest(events: readonly S3Event[]): Promise<IngestResult[]>;
  /** The table writes since the last call, as a stream batch. */
  takeStream(): DynamoDBStreamEvent;
  /** Ingest every pending S3 event, then publish the resulting stream batch. */
  deliver(): Promise<{ results: IngestResult[]; report: PublishReport | undefined }>;
  siteObject(key: string): Promise<{ body: string; contentType?: string; cacheControl?: string }>;
  siteText(key: string): Promise<string>;
  contentText(key: string): Promise<string>;
  siteKeys(): Promise<string[]>;
  /** Parses every object in the site bucket with a strict parser; returns how many. */
  assertSiteWellFormed(): Promise<number>;
  close(): Promise<void>;
}

/** Real S3 URL-encodes keys in event notifications, with `+` for a space. */
export function encodeAsS3(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, "+").replace(/%2F/g, "/");
}


export async function startAwsHarness(name: string, options: { hubs?: boolean } = {}): Promise<AwsHarness> {
  const [s3, dynamo] = await Promise.all([startS3([CONTENT, SITE]), startLocalDynamo(name)]);
  const stream = recordStream(dynamo.client);
  const store = new DynamoDbContentStore(dynamo.client, dynamo.tableName);
  const ledger = new DynamoDbPublishLedger(dynamo.client, dynamo.tableName);
  const invalidator = new MemoryInvalidator();
  const hubs = new MemoryHubNotifier();
  const ingestDeps: IngestHandlerDeps = { reports: new S3Reports(s3.client, CONTENT), store, source: new S3Content(s3.client, CONTENT) };
  const publishDeps: PublishDeps = { store, ledger, writer: new S3Site(s3.client, SITE), invalidator, ...(options.hubs === false ? {} : { hubs }) };

  const text = async (bucket: string, key: string) => {
    const r = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { body: await r.Body!.transformToString(), contentType: r.ContentType, cacheControl: r.CacheControl };
  };
  const takeEvents = () => s3.takeEvents()
    .map((e) => ({ Records: e.Records.filter((r) => r.s3.bucket.name === CONTENT && isNotified(r.s3.object.key)) }))
    .filter((e) => e.Records.length > 0)
    .map((e) => ({ Records: e.Records.map((r) => ({ ...r, s3: { ...r.s3, object: { ...r.s3.object, key: encodeAsS3(r.s3.object.key) } } })) }));
  const ingest = async (events: readonly S3Event[]) => {
    const results: IngestResult[] = [];
    for (const e of events) results.push(...(await handleS3Event(ingestDeps, e, new Date())));
    return results;
  };
  /**
   * Every object in the site bucket with its ETag (the MD5 of its bytes), by key. ListObjects
   * (v1, by marker), not v2: s3rver 3.7 answers a v2 listing of a bucket of over 1,000
   * objects with an InternalError (the migration bench's 10,000-article site).
   */
  const siteObjects = async () => {
    const objects = new Map<string, string>();
    let marker: string | undefined;
    do {
      const r = await s3.client.send(new ListObjectsCommand({ Bucket: SITE, ...(marker ? { Marker: marker } : {}) }));
      for (const o of r.Contents ?? []) objects.set(o.Key!, o.ETag ?? "");
      marker = r.IsTruncated ? r.Contents?.at(-1)?.Key : undefined;
    } while (marker);
    return objects;
  };
  const siteKeys = async () => [...(await siteObjects()).keys()].sort();
  /** ETag of each object already parsed and found well-formed: the same bytes need no second look. */
  const wellFormed = new Map<string, string>();

  return {
    s3, dynamo, store, ledger, ingestDeps, publishDeps,
    // Views of the recorders' calls, read live by the tests.
    get invalidations() { return invalidator.calls.map((c) => [...c.paths]); },
    get invalidationRefs() { return invalidator.calls.map((c) => c.reference); },
    get pings() { return hubs.calls.map((c) => [...c.feedUrls]); },
    upload: async (key, body) => { await s3.client.send(new PutObjectCommand({ Bucket: CONTENT, Key: key, Body: body })); },
    remove: async (key) => { await s3.client.send(new DeleteObjectCommand({ Bucket: CONTENT, Key: key })); },
    takeEvents,
    ingest,
    takeStream: () => stream.take(),
    deliver: async () => {
      const results = await ingest(takeEvents());
      const report = await handlePublishEvent(publishDeps, stream.take(), new Date());
      return { results, report };
    },
    siteObject: (key) => text(SITE, key),
    siteText: async (key) => (await text(SITE, key)).body,
    contentText: async (key) => (await text(CONTENT, key)).body,
    siteKeys,
    assertSiteWellFormed: async () => {
      const objects = await siteObjects();
      for (const [key, etag] of objects) {
        if (etag && wellFormed.get(key) === etag) continue;
        const body = (await text(SITE, key)).body;
        try {
          if (key.endsWith(".json")) assertJsonFeed11(body);
          else if (key.endsWith(".xml") || key.endsWith(".opml")) parseXmlStrict(body);
        } catch (err) {
          throw new Error(`${key} is not well-formed: ${(err as Error).message}`, { cause: err });
        }
        wellFormed.set(key, etag);
      }
      return objects.size;
    },
    close: async () => { await Promise.all([s3.close(), dynamo.close()]); },
  };
}
