/**
 * Migration drain: the first upload of a whole archive, through the deployed pipeline's
 * real handlers on s3rver (both buckets) and dynalite (`test/support/aws-harness.ts`).
 *
 * - N files of the peer corpus (`../shared/peers/gen-articles.py`), its authors and a
 *   site.yaml are uploaded to the content bucket; site.yaml and the authors are delivered
 *   and published first, as an editor would start.
 * - The articles' S3 events go to the ingest handler in upload order, `INGEST_CONCURRENCY`
 *   invocations at a time (Lambda scales out on S3 events; one record per event).
 * - Meanwhile the table's stream records that pass the publisher's filter (dirty marks)
 *   go to the publish handler in batches of up to 100, one batch at a time, as soon as
 *   100 have accrued or the oldest waited 5 s (the stack's event source mapping:
 *   `batchSize` 100, `maxBatchingWindow` 5 s, one publisher).
 * - After the last ingest and the last batch, the schedule runs once.
 *
 * Counted: every PutObject to the site bucket (archive pages, current feed documents,
 * other files) against the files of the final site; and whether the final site equals a
 * full rebuild from the table (`test/support/rebuild-diff.ts`, as the convergence tests).
 */
import { execFileSync } from "node:child_process";
import { readdir, readFile, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import type { DynamoDBStreamEvent, S3Event } from "aws-lambda";
import { isArchivePath, isCurrentFeedPath } from "../lambdas/contracts/paths.js";
import { PUBLISH_TRIGGER } from "../lambdas/contracts/table.js";
import { handleS3Event } from "../lambdas/ingest.js";
import { handlePublishEvent, type PublishHandlerDeps } from "../lambdas/publish.js";
import { SITE, startAwsHarness } from "../test/support/aws-harness.js";
import { rebuildDiff } from "../test/support/rebuild-diff.js";

const INGEST_CONCURRENCY = 10;
const UPLOAD_CONCURRENCY = 16;
const STREAM_BATCH = 100;
const BATCHING_WINDOW_MS = 5000;
const SCHEDULE = { "detail-type": "Scheduled Event", source: "aws.events", id: "bench" } as never;

/**
 * `coalesced`: the handler as deployed (`DEFAULT_BACKLOG`); `per-batch`: the rule off
 * (`backlog: false`), every run renders everything it finds marked, as before the rule.
 */
export type MigrationVariant = "coalesced" | "per-batch";
/**
 * `free`: ingest and publish run at the emulators' speeds (here a publish run is 10-100x
 * slower against ingest than on AWS, so a slow publisher coalesces by itself: each run
 * drains every mark written meanwhile). `paced`: ingest waits while a full stream batch
 * waits for a busy publisher, as if a publish run took no time against ingest (the other
 * extreme: the publisher keeps pace with the stream), but not while the publisher waits
 * between the runs of a backlog (on AWS ingest never waits for it).
 */
export type MigrationPace = "free" | "paced";

export interface MigrationResult {
  articles: number;
  variant: MigrationVariant;
  pace: MigrationPace;
  uploadS: number;
  /** From the first ingest to the end of the scheduled run. */
  drainS: number;
  ingested: Record<string, number>;
  streamBatches: number;
  /** Publish runs that rendered something (a handler invocation can run several while a backlog drains). */
  publishRuns: number;
  /** Runs that left marks for a later run (coalescing while the backlog drains). */
  deferredRuns: number;
  puts: { archive: number; current: number; other: number; total: number };
  deletes: number;
  finalSite: { archive: number; current: number; other: number; total: number };
  archivePutsPerFinalArchiveFile: number;
  totalPutsPerFinalFile: number;
  /** ≤ 2 archive PUTs per final archive file (issue 13). */
  archiveTargetMet: boolean;
  equalsRebuild: boolean;
  rebuildDiff: { onlySite: number; onlyRebuild: number; differing: number; marksLeft: number; examples: string[] };
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const elapsedS = (t: number) => ((performance.now() - t) / 1000).toFixed(0);
const kind = (key: string) => (isArchivePath(key) ? "archive" : isCurrentFeedPath(key) ? "current" : "other");

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith(".md")).sort();
}

export async function migration(root: string, n: number, log: (s: string) => void, variant: MigrationVariant = "coalesced", pace: MigrationPace = "free"): Promise<MigrationResult> {
  const work = await mkdtemp(join(os.tmpdir(), "feedpub-migration-"));
  const h = await startAwsHarness(`migration-${n}`);
  try {
    execFileSync("python3", [join(root, "../shared/peers/gen-articles.py"), work, String(n)], { stdio: "ignore" });
    const base = (await readFile(join(root, "content/site.yaml"), "utf8")).replace(/^baseUrl: .*$/m, "baseUrl: https://feeds.example.com");

    // Every PutObject and DeleteObject the site bucket receives (the content bucket's uploads are not counted).
    const puts = { archive: 0, current: 0, other: 0, total: 0 };
    let deletes = 0;
    h.s3.client.middlewareStack.add((next, context) => async (args) => {
      const input = args.input as { Bucket?: string; Key?: string };
      if (input.Bucket === SITE && context.commandName === "PutObjectCommand") {
        puts[kind(input.Key!)]++;
        puts.total++;
      }
      if (input.Bucket === SITE && context.commandName === "DeleteObjectCommand") deletes++;
      return next(args);
    }, { step: "initialize", name: "benchSitePuts" });

    const t0 = performance.now();
    await h.upload("site.yaml", base);
    for (const f of await files(join(work, "authors"))) await h.upload(`authors/${f}`, await readFile(join(work, "authors", f)));
    // The handlers' logs (a line per file, a line per publish) stay out of the bench's output.
    const ingestDeps = { ...h.ingestDeps, observer: { file: () => undefined } };
    let runs = 0;
    let deferredRuns = 0;
    let pausing = false;
    const publishDeps: PublishHandlerDeps = {
      ...h.publishDeps,
      log: (fields) => {
        runs++;
        if (fields.deferred) deferredRuns++;
      },
      ...(variant === "per-batch" ? { backlog: false } : {}),
      sleep: async (ms) => {
        pausing = true;
        await new Promise((r) => setTimeout(r, ms));
        pausing = false;
      },
    };
    await handleS3Event(ingestDeps, { Records: h.takeEvents().flatMap((e) => e.Records) }, new Date());
    await handlePublishEvent(publishDeps, h.takeStream(), new Date());
    runs = 0;
    const articles = await files(join(work, "articles"));
    await pool(articles, UPLOAD_CONCURRENCY, async (f) => h.upload(`articles/${f}`, await readFile(join(work, "articles", f))));
    // S3 sends one event per object; in the order s3rver emitted them (upload order).
    const events: S3Event[] = h.takeEvents().flatMap((e) => e.Records.map((r) => ({ Records: [r] })));
    const uploadS = (performance.now() - t0) / 1000;
    log(`  uploaded ${n.toLocaleString("en")} articles in ${uploadS.toFixed(1)} s; draining ${events.length.toLocaleString("en")} events`);

    const t1 = performance.now();
    const ingested: Record<string, number> = {};
    let batches = 0;
    let ingesting = true;
    const buffered: { record: DynamoDBStreamEvent["Records"][number]; at: number }[] = [];
    let busy = false;
    // Records the stream holds that the publisher has not buffered yet (it buffers between runs).
    const peeked: DynamoDBStreamEvent["Records"] = [];
    const pendingRecords = () => {
      if (busy) {
        peeked.push(...h.takeStream().Records.filter(triggers));
        return peeked.length;
      }
      return 0;
    };
    const triggers = (r: DynamoDBStreamEvent["Records"][number]) => r.dynamodb?.Keys?.pk?.S === PUBLISH_TRIGGER.partitionKey && (PUBLISH_TRIGGER.eventNames as readonly string[]).includes(r.eventName ?? "");
    // The event source mapping: a batch when 100 records have accrued, or when the oldest has waited the batching window.
    const publisher = (async () => {
      for (;;) {
        const now = performance.now();
        buffered.push(...[...peeked.splice(0), ...h.takeStream().Records.filter(triggers)].map((record) => ({ record, at: now })));
        const due = buffered.length >= STREAM_BATCH || (buffered.length > 0 && (!ingesting || now - buffered[0]!.at >= BATCHING_WINDOW_MS));
        if (!due) {
          if (!ingesting) return;
          await new Promise((r) => setTimeout(r, 25));
          continue;
        }
        const batch = buffered.splice(0, STREAM_BATCH).map((b) => b.record);
        batches++;
        const tp = performance.now();
        busy = true;
        const report = await handlePublishEvent(publishDeps, { Records: batch }, new Date()).finally(() => { busy = false; });
        if (process.env.BENCH_VERBOSE) log(`  batch ${batches}: ${batch.length} records, ${((performance.now() - tp) / 1000).toFixed(1)} s, ${report?.feeds ?? 0} feeds, ${report?.written.length ?? 0} written, lease wait ${report?.leaseWaitMs ?? 0} ms`);
        if (batches % 25 === 0) log(`  ${batches} stream batches, ${Object.values(ingested).reduce((a, b) => a + b, 0).toLocaleString("en")} ingested, ${puts.total.toLocaleString("en")} site PUTs, ${elapsedS(t1)} s`);
      }
    })();
    await pool(events, INGEST_CONCURRENCY, async (e) => {
      while (pace === "paced" && !pausing && buffered.length + pendingRecords() >= STREAM_BATCH) await new Promise((r) => setTimeout(r, 10));
      for (const r of await handleS3Event(ingestDeps, e, new Date())) ingested[r.outcome] = (ingested[r.outcome] ?? 0) + 1;
    });
    ingesting = false;
    await publisher;
    await handlePublishEvent(publishDeps, SCHEDULE, new Date());
    const drainS = (performance.now() - t1) / 1000;
    log(`  drained in ${drainS.toFixed(1)} s: ${batches} stream batches, ${runs} publish runs (${deferredRuns} deferred); comparing with a full rebuild`);

    const now = new Date();
    // One more scheduled run at the comparison's clock, as the convergence tests do: it must find nothing to write.
    const putsBefore = puts.total;
    await handlePublishEvent(publishDeps, SCHEDULE, now);
    if (puts.total !== putsBefore) log(`  NOTE: a scheduled run after the drain still wrote ${puts.total - putsBefore} files`);
    // The counts first: a failing comparison must not lose them.
    log(`  site PUTs: ${JSON.stringify(puts)}, deletes ${deletes}`);
    const diff = await rebuildDiff(h, now);
    const keys = await h.siteKeys();
    log(`  final site: ${keys.length} files`);
    const finalSite = { archive: 0, current: 0, other: 0, total: keys.length };
    for (const k of keys) finalSite[kind(k)]++;
    const equalsRebuild = diff.onlySite.length + diff.onlyRebuild.length + diff.differing.length + diff.marksLeft === 0;
    return {
      articles: n, variant, pace, uploadS: round(uploadS, 1), drainS: round(drainS, 1), ingested, streamBatches: batches,
      publishRuns: runs, deferredRuns,
      puts, deletes, finalSite,
      archivePutsPerFinalArchiveFile: round(puts.archive / Math.max(1, finalSite.archive)),
      totalPutsPerFinalFile: round(puts.total / Math.max(1, finalSite.total)),
      archiveTargetMet: puts.archive <= 2 * finalSite.archive,
      equalsRebuild,
      rebuildDiff: {
        onlySite: diff.onlySite.length, onlyRebuild: diff.onlyRebuild.length, differing: diff.differing.length, marksLeft: diff.marksLeft,
        examples: [...diff.onlySite, ...diff.onlyRebuild, ...diff.differing].slice(0, 5),
      },
    };
  } finally {
    await h.close();
    await rm(work, { recursive: true, force: true });
  }
}

export const migrationMethod = "peer corpus (../shared/peers/gen-articles.py N, its authors, content/site.yaml) uploaded to s3rver; site.yaml and authors delivered first; then each article's S3 event to the real ingest handler (handleS3Event), in upload order, 10 at a time, on dynalite; the table writes recorded as the stream (test/support/emulators.ts), filtered as the event source mapping filters them, handed to the real publish handler (handlePublishEvent) in batches of up to 100 (or after a 5 s batching window), one at a time, while ingest runs; then one scheduled run. PUTs: PutObject calls to the site bucket, by path (archive page, current feed document, other). Final site: objects in the site bucket. Equal to a rebuild: test/support/rebuild-diff.ts (as test/e2e/converge.test.ts).";

type Table = (header: string[], rows: unknown[][]) => string;

export function migrationTable(rows: readonly MigrationResult[], table: Table): string {
  const n0 = (x: number) => Math.round(x).toLocaleString("en");
  return [
    "Migration drain through the real handlers (s3rver + dynalite, stream batches of 100); PUTs to the site bucket against the final site:",
    table(
      ["articles", "variant", "pace", "drain s", "batches", "publishes (deferred)", "archive PUTs / final archive files", "current-feed PUTs", "other PUTs", "total PUTs / final files", "archive <= 2x", "equals rebuild"],
      rows.map((r) => [
        n0(r.articles), r.variant, r.pace, r.drainS, r.streamBatches, `${r.publishRuns} (${r.deferredRuns})`,
        `${n0(r.puts.archive)} / ${n0(r.finalSite.archive)} = ${r.archivePutsPerFinalArchiveFile}`, n0(r.puts.current), n0(r.puts.other),
        `${n0(r.puts.total)} / ${n0(r.finalSite.total)} = ${r.totalPutsPerFinalFile}`, r.archiveTargetMet ? "yes" : "NO", r.equalsRebuild ? "yes" : `NO ${JSON.stringify(r.rebuildDiff)}`,
      ]),
    ),
  ].join("\n");
}
