import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { parseReport, type ParsedReport } from "../lambdas/app/reports.js";
import { AUTHORS_PREFIX, classifyKey, SITE_KEY } from "../lambdas/contracts/content-keys.js";
import { REPORT_PREFIX } from "../lambdas/contracts/env.js";
import { paint, type Terminal } from "./terminal.js";

/**
 * The editor's side of the content bucket, with no table access: the reports ingest
 * writes under `_reports/` (see `lambdas/app/reports.ts` for their format), the site
 * settings and authors an upload is checked against, and removing files.
 */

/** `_reports/<key>.txt`, as `S3Reports` writes it (not imported: that module is the Lambda's). */
export const reportKeyOf = (key: string): string => `${REPORT_PREFIX}${key}.txt`;

const isNotFound = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404;
};

/** The object's bytes, or undefined when there is no such key. */
export async function getObject(s3: S3Client, bucket: string, key: string): Promise<Uint8Array | undefined> {
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await r.Body!.transformToByteArray();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** By listing, not HEAD: the editor policy may list articles/ but not read them. */
export async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
  return r.Contents?.[0]?.Key === key;
}

export async function* listKeys(s3: S3Client, bucket: string, prefix: string): AsyncIterable<string> {
  let token: string | undefined;
  do {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) if (o.Key) yield o.Key;
    token = r.NextContinuationToken;
  } while (token);
}

/** The report of content key `key`; undefined when there is none (or it is not a report). */
export async function readReport(s3: S3Client, bucket: string, key: string): Promise<ParsedReport | undefined> {
  const bytes = await getObject(s3, bucket, reportKeyOf(key));
  return bytes ? parseReport(new TextDecoder().decode(bytes)) : undefined;
}

/** Runs `fn` over `items`, `width` at a time, keeping the order of the results. */
async function mapPool<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  }));
  return out;
}

/** The site settings and authors in the bucket, for checking a partial upload against. */
export async function bucketBase(s3: S3Client, bucket: string, want: { site: boolean; authors: boolean }): Promise<Map<string, Uint8Array>> {
  const keys: string[] = want.site ? [SITE_KEY] : [];
  if (want.authors) for await (const k of listKeys(s3, bucket, AUTHORS_PREFIX)) if (classifyKey(k) === "author") keys.push(k);
  const bodies = await mapPool(keys, 8, (k) => getObject(s3, bucket, k));
  const out = new Map<string, Uint8Array>();
  keys.forEach((k, i) => { if (bodies[i]) out.set(k, bodies[i]!); });
  return out;
}

/** What `--wait` waits for: a report naming these bytes, or (after a removal) no report. */
export interface WaitTarget {
  readonly key: string;
  /** SHA-256 of the uploaded bytes, or `"gone"` for a removed file. */
  readonly version: string | "gone";
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** @default 250 */
  readonly firstDelayMs?: number;
  /** @default 5000 */
  readonly maxDelayMs?: number;
}

export interface WaitResult {
  /** Each target's report once it named the target's version (`"gone"`: the report went with the file). */
  readonly reports: ReadonlyMap<string, ParsedReport | "gone">;
  /** Targets with no report of theirs by the deadline. */
  readonly missing: readonly string[];
}

/**
 * A report read can fail mid-body (a connection reset while ingest rewrites it, on
 * S3-compatible servers that do not replace objects atomically): try again next round.
 * A refusal (access denied, no such bucket) is no reason to wait: it is thrown.
 */
function transient(err: unknown): "unread" {
  if ((err as { $fault?: string }).$fault === "client") throw err;
  return "unread";
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls the reports of `targets` with backoff until each names its version. A held file
 * can be released by another file of the same upload (its author), whose ingest rewrites
 * the held file's report right after its own: so a report that says `held` counts only
 * when it still says so one poll after every other target was settled.
 */
export async function waitForReports(s3: S3Client, bucket: string, targets: readonly WaitTarget[], options: WaitOptions): Promise<WaitResult> {
  const deadline = Date.now() + options.timeoutMs;
  const settled = new Map<string, ParsedReport | "gone">();
  const held = new Map<string, ParsedReport>();
  let pending = [...targets];
  let delay = options.firstDelayMs ?? 250;
  let confirming = false;
  for (;;) {
    const seen = await mapPool(pending, 8, async (t): Promise<{ t: WaitTarget; r: ParsedReport | undefined | "unread" }> => ({ t, r: await readReport(s3, bucket, t.key).catch(transient) }));
    for (const { t, r } of seen) {
      if (r === "unread") continue; // a read that failed this time: the target stays pending
      if (t.version === "gone") {
        if (!r) settled.set(t.key, "gone");
      } else if (r?.version === t.version) {
        if (r.state === "held") held.set(t.key, r);
        else { held.delete(t.key); settled.set(t.key, r); }
      }
    }
    pending = pending.filter((t) => !settled.has(t.key));
    const onlyHeldLeft = pending.every((t) => held.has(t.key));
    if (onlyHeldLeft && confirming) {
      for (const t of pending) settled.set(t.key, held.get(t.key)!);
      pending = [];
    }
    confirming = onlyHeldLeft;
    if (pending.length === 0) break;
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 1.5, options.maxDelayMs ?? 5000);
  }
  // At the deadline a held report of this upload is its state at the end, not a timeout.
  for (const t of pending) if (held.has(t.key)) settled.set(t.key, held.get(t.key)!);
  return { reports: settled, missing: pending.filter((t) => !settled.has(t.key)).map((t) => t.key) };
}

/** Accepted articles that are out now (published, updated or unchanged, or scheduled and due). */
const isOut = (r: ParsedReport, now: Date) =>
  ["published", "updated", "unchanged"].includes(r.state) || (r.state === "scheduled" && Date.parse(r.scheduledFor ?? "") <= now.getTime());

/** One line per file, then a count of each state. Returns whether a file was rejected or held. */
export function printWaitResult(t: Terminal, targets: readonly WaitTarget[], result: WaitResult, timeoutMs: number, now: Date): { failed: boolean } {
  const { green, red, yellow, dim } = paint(t);
  const counts = new Map<string, number>();
  const count = (what: string) => counts.set(what, (counts.get(what) ?? 0) + 1);
  let failed = false;
  for (const { key } of targets) {
    const r = result.reports.get(key);
    if (r === undefined) {
      t.out(red(`… ${key}: no report of this upload after ${Math.round(timeoutMs / 1000)} s`));
      count("not reported");
    } else if (r === "gone") {
      t.out(green(`✓ ${key}: removed`));
      count("removed");
    } else {
      const line = `${key}: ${r.state === "scheduled" ? `scheduled for ${r.scheduledFor}` : r.state}`;
      if (r.state === "rejected") t.out(red(`✗ ${line}`));
      else if (r.state === "held") t.out(yellow(`! ${line}`));
      else t.out(isOut(r, now) ? green(`✓ ${line}`) : `• ${line}`);
      for (const d of r.details) t.out(dim(`    ${d}`));
      if (r.state === "rejected" || r.state === "held") failed = true;
      count(r.state === "unchanged" ? "published" : r.state);
    }
  }
  t.out([...counts].map(([what, n]) => `${n} ${what}`).join(", "));
  return { failed };
}

/** The groups `feedpub status` lists, in order. */
const STATUS_GROUPS = [
  { state: "rejected", title: "Rejected (the last accepted version, if any, stays published)" },
  { state: "held", title: "Held (published when what they wait for arrives)" },
  { state: "scheduled", title: "Scheduled" },
  { state: "draft", title: "Drafts" },
] as const;

/** Every report under `_reports/<prefix>`, read 8 at a time, sorted by key. */
export async function listReports(s3: S3Client, bucket: string, prefix: string): Promise<ParsedReport[]> {
  const keys: string[] = [];
  for await (const k of listKeys(s3, bucket, `${REPORT_PREFIX}${prefix}`)) if (k.endsWith(".txt")) keys.push(k);
  const texts = await mapPool(keys, 8, (k) => getObject(s3, bucket, k));
  return texts
    .map((b) => (b ? parseReport(new TextDecoder().decode(b)) : undefined))
    .filter((r): r is ParsedReport => r !== undefined)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** `feedpub status`: rejected, held, scheduled (still ahead) and draft files, grouped, then the counts. */
export function printStatus(t: Terminal, reports: readonly ParsedReport[], now: Date): void {
  const { red, yellow, dim } = paint(t);
  const groupOf = (r: ParsedReport) => (r.state === "scheduled" && isOut(r, now) ? "published" : r.state);
  for (const g of STATUS_GROUPS) {
    const members = reports.filter((r) => groupOf(r) === g.state);
    if (members.length === 0) continue;
    const colour = g.state === "rejected" ? red : g.state === "held" ? yellow : (s: string) => s;
    t.out(colour(`${g.title}: ${members.length}`));
    for (const r of members) {
      t.out(`  ${r.key}${r.state === "scheduled" ? `  ${r.scheduledFor}` : ""}`);
      if (g.state === "rejected" || g.state === "held") {
        for (const d of r.details) if (!d.startsWith("The last accepted version")) t.out(dim(`    ${d}`));
      }
    }
  }
  const counts = new Map<string, number>();
  for (const r of reports) {
    const g = groupOf(r) === "updated" || groupOf(r) === "unchanged" ? "published" : groupOf(r);
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  const order = ["published", "rejected", "held", "scheduled", "draft"];
  const parts = [...counts].sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99)).map(([g, n]) => `${n} ${g}`);
  t.out(`${reports.length} file${reports.length === 1 ? "" : "s"} reported${parts.length > 0 ? `: ${parts.join(", ")}` : ""}`);
}

/** Deletes content files from the bucket; ingest then takes them out of every feed. */
export async function removeObjects(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (const key of keys) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}
