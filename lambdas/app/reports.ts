import { formatProblem } from "../core/model.js";
import type { ReportSink } from "../core/ports.js";
import type { IngestOutcome, IngestResult } from "./ingest.js";

/**
 * The editor's report on one file, read by people in the S3 console and by the editor's
 * tools (`feedpub upload --wait`, `feedpub status`), so its first two lines are a format:
 *
 * ```
 * articles/x.md: published                          (or updated, held, rejected, draft,
 * version: 9f86d081884c7d65…                         scheduled for 2026-12-01T09:00:00Z)
 * articles/x.md: warning in …                       one line per problem
 * ```
 *
 * `version` is the SHA-256 of the bytes the report is about: a tool that uploaded those
 * bytes knows its report from an older one. `reportText` writes it, `parseReport` reads it.
 */

/** What the first line of a report says: the ingest outcome, or the state of an accepted article. */
export type ReportState = Exclude<IngestOutcome, "stale" | "gone"> | "draft" | "scheduled";

export interface ParsedReport {
  readonly key: string;
  readonly state: ReportState;
  /** For `scheduled`: when the article enters the feeds (ISO). */
  readonly scheduledFor?: string;
  /** SHA-256 of the reported bytes; absent in reports written before versions were. */
  readonly version?: string;
  /** The lines after the header: problems, and advice. */
  readonly details: readonly string[];
}

const STATES: readonly ReportState[] = ["published", "updated", "unchanged", "removed", "rejected", "held", "ignored", "draft", "scheduled"];

/** `2026-12-01T09:00:00.000Z` as `2026-12-01T09:00:00Z`: the report is read by people too. */
const shortIso = (iso: string) => iso.replace(/\.000Z$/, "Z");

/** The first line after the key: `published`, `draft`, `scheduled for 2026-12-01T09:00:00Z`, ... */
export function reportStatus(r: IngestResult): string {
  if (r.draft && r.outcome === "removed") return "draft";
  if (r.scheduledFor && r.outcome !== "rejected" && r.outcome !== "held") return `scheduled for ${shortIso(r.scheduledFor)}`;
  return r.outcome;
}

/** The editor's report on one file: the state, the version, then one line per problem. */
export function reportText(r: IngestResult): string {
  const lines = [`${r.key}: ${reportStatus(r)}`];
  if (r.version) lines.push(`version: ${r.version}`);
  for (const p of r.problems) lines.push(formatProblem(p));
  if (r.outcome === "rejected") lines.push("The last accepted version of this file stays published.");
  return `${lines.join("\n")}\n`;
}

const HEADER = new RegExp(`^(.+): (${STATES.filter((s) => s !== "scheduled").join("|")}|scheduled for (\\S+))$`);

/** Reads back what `reportText` wrote; undefined for text that is not a report. */
export function parseReport(text: string): ParsedReport | undefined {
  const lines = text.replace(/\n$/, "").split("\n");
  const m = HEADER.exec(lines[0] ?? "");
  if (!m) return undefined;
  const [, key, status, scheduledFor] = m;
  const versionLine = /^version: ([0-9a-f]{64})$/.exec(lines[1] ?? "");
  return {
    key: key!,
    state: scheduledFor ? "scheduled" : (status as ReportState),
    ...(scheduledFor ? { scheduledFor } : {}),
    ...(versionLine ? { version: versionLine[1]! } : {}),
    details: lines.slice(versionLine ? 2 : 1),
  };
}

/** A file outside the content layout (`.DS_Store`, `notes.txt`) that needs no word to the editor. */
export function isSilent(r: IngestResult): boolean {
  return r.outcome === "ignored" && r.problems.length === 0;
}

/**
 * Files the report of one ingested file. A stale event (an older version arrived late)
 * or one for an object already gone says nothing about the current file, so its report
 * stays; a deleted file's report goes with it (a delete event for a file that is still
 * there, a version delete, reports on the file as it is).
 */
export async function fileReport(sink: ReportSink, r: IngestResult): Promise<void> {
  // First: a deleted file that was ignored (a rejected twin) still had a report, which
  // must not stay behind saying "rejected" (`feedpub status` would list a file that is gone).
  if (r.fileGone) return sink.remove(r.key);
  if (isSilent(r) || r.outcome === "stale" || r.outcome === "gone") return;
  await sink.put(r.key, reportText(r));
}
