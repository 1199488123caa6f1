import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Event } from "aws-lambda";
import { DynamoDbContentStore } from "./adapters/dynamodb-content-store.js";
import { S3Content } from "./adapters/s3-content.js";
import { ingest, reparse, type IngestDeps, type IngestResult } from "./app/ingest.js";
import { readConfig, REPORT_PREFIX } from "./config.js";
import { formatProblem } from "./core/model.js";

/**
 * Ingest Lambda: S3 ObjectCreated/ObjectRemoved events of the content bucket in, the
 * store updated. Every file gets a report object at `_reports/<key>.txt` that an editor
 * can open in the S3 console. Errors are rethrown so Lambda retries the event and then
 * sends it to the on-failure queue.
 */

export { REPORT_PREFIX };

/**
 * S3 event keys are URL-encoded with `+` for space. The result is the exact object key,
 * not Unicode-normalised: `café.md` saved in NFC and in NFD (as some Mac tools do) are
 * two different objects, and reading the NFC name of an NFD object finds nothing.
 */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, " "));
}

export function reportText(r: IngestResult): string {
  const lines = [`${r.key}: ${r.outcome}`];
  for (const p of r.problems) lines.push(formatProblem(p));
  if (r.outcome === "rejected") lines.push("The last accepted version of this file stays published.");
  return `${lines.join("\n")}\n`;
}

export interface IngestHandlerDeps extends IngestDeps {
  readonly s3: S3Client;
  readonly contentBucket: string;
}

export async function handleS3Event(deps: IngestHandlerDeps, event: S3Event | { Event?: string }, now: Date): Promise<IngestResult[]> {
  const records = "Records" in event && Array.isArray(event.Records) ? event.Records : [];
  const results: IngestResult[] = [];
  for (const record of records) {
    const key = decodeS3Key(record.s3.object.key);
    const type = record.eventName.startsWith("ObjectRemoved") ? "delete" : "put";
    const result = await ingest(deps, { key, type, seq: record.s3.object.sequencer, time: record.eventTime }, now);
    results.push(result);
    // This event can also have ingested other files (held files released, the next
    // owner of a slug): each gets its report.
    for (const r of [result, ...(result.also ?? [])]) await report(deps, r);
    // site.yaml changed the links stored articles were rendered with: render them again.
    // One Lambda run must cover the archive here (about 20 ms an article); see README, "When things go wrong".
    if (result.reparseArticles) {
      for await (const article of articleKeys(deps)) await reparse(deps, article, now);
    }
  }
  return results;
}

async function* articleKeys(deps: IngestHandlerDeps): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const r = await deps.s3.send(new ListObjectsV2Command({ Bucket: deps.contentBucket, Prefix: "articles/", ContinuationToken: token }));
    for (const o of r.Contents ?? []) if (o.Key) yield o.Key;
    token = r.NextContinuationToken;
  } while (token);
}

async function report(deps: IngestHandlerDeps, result: IngestResult): Promise<void> {
  if (result.outcome === "ignored" && result.problems.length === 0) return;
  console.log(JSON.stringify({ key: result.key, outcome: result.outcome, problems: result.problems.map(formatProblem) }));
  // A stale event reports nothing: the newer event has reported, or will.
  if (result.outcome === "stale" || result.outcome === "gone") return;
  const reportKey = `${REPORT_PREFIX}${result.key}.txt`;
  if (result.outcome === "removed" && !(await deps.source.exists(result.key))) {
    await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.contentBucket, Key: reportKey }));
  } else {
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.contentBucket, Key: reportKey, Body: reportText(result), ContentType: "text/plain; charset=utf-8" }));
  }
}

let deps: IngestHandlerDeps | undefined;

function depsFromEnv(): IngestHandlerDeps {
  const config = readConfig(process.env, ["tableName", "contentBucket"]);
  const s3 = new S3Client({});
  return {
    s3,
    contentBucket: config.contentBucket,
    store: new DynamoDbContentStore(new DynamoDBClient({}), config.tableName),
    source: new S3Content(s3, config.contentBucket),
  };
}

export const handler = async (event: S3Event): Promise<void> => {
  deps ??= depsFromEnv();
  await handleS3Event(deps, event, new Date());
};
