import { formatProblem } from "../core/model.js";
import type { ReportSink } from "../core/ports.js";
import type { IngestResult } from "./ingest.js";

/** The editor's report on one file: the outcome, then one line per problem. */
export function reportText(r: IngestResult): string {
  const lines = [`${r.key}: ${r.outcome}`];
  for (const p of r.problems) lines.push(formatProblem(p));
  if (r.outcome === "rejected") lines.push("The last accepted version of this file stays published.");
  return `${lines.join("\n")}\n`;
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
  if (isSilent(r) || r.outcome === "stale" || r.outcome === "gone") return;
  if (r.fileGone) await sink.remove(r.key);
  else await sink.put(r.key, reportText(r));
}
