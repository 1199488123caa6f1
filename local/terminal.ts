import { join, relative, sep } from "node:path";
import type { IngestResult } from "../lambdas/app/ingest.js";
import { FEED_FILES, OPML } from "../lambdas/contracts/paths.js";
import type { PublishReport } from "../lambdas/app/publish.js";
import { formatProblem } from "../lambdas/core/model.js";

/**
 * What the CLI and the serve loop print, and where: two line writers instead of
 * `console`, so the CLI can run inside a test and its output be read back.
 */
export interface Terminal {
  /** Writes one line to standard output. */
  out(line: string): void;
  /** Writes one line to standard error. */
  err(line: string): void;
  /** ANSI colours: a TTY, and `NO_COLOR` unset. */
  readonly color: boolean;
  /** Folder that printed paths are relative to. */
  readonly cwd: string;
}

export function paint(t: Terminal) {
  const p = (code: number) => (s: string) => (t.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { red: p(31), yellow: p(33), green: p(32), dim: p(2) };
}

/** A folder as the user typed it: relative to the working folder, `.` for itself. */
export function shown(t: Terminal, dir: string): string {
  return relative(t.cwd, dir).split(sep).join("/") || ".";
}

/**
 * One line per problem, each file named as the user sees it (`content/articles/x.md`,
 * or as `shownAs` names it: `s3://bucket/site.yaml` for a file read from the bucket).
 */
export function printProblems(t: Terminal, results: readonly IngestResult[], contentDir: string, shownAs?: (file: string) => string): { rejected: number; siteBroken: boolean } {
  const rel = shown(t, contentDir);
  const prefix = rel === "." ? "" : `${rel}/`;
  const name = shownAs ?? ((file: string) => prefix + file);
  const { red, yellow } = paint(t);
  let rejected = 0;
  let siteBroken = false;
  for (const r of results) {
    for (const p of r.problems) {
      const line = formatProblem({ ...p, file: name(p.file) });
      t.err(p.severity === "error" ? red(`✗ ${line}`) : yellow(`! ${line}`));
    }
    // A file still held at the end (its author never came) is not published either.
    if (r.outcome === "rejected" || r.outcome === "held") {
      rejected++;
      if (r.key === "site.yaml") siteBroken = true;
    }
  }
  return { rejected, siteBroken };
}

/**
 * Exit codes of the CLI: 0 every file accepted; 1 some file rejected or held (the rest
 * still published); 2 usage or site-config error, or (`--wait`) no report in time.
 */
export const EXIT = { ok: 0, rejected: 1, usage: 2, timeout: 2 } as const;

/** Prints the problems and decides the exit code; a missing or broken site.yaml is a usage error. */
export function exitCodeOf(t: Terminal, results: readonly IngestResult[], contentDir: string, shownAs?: (file: string) => string): number {
  const { rejected, siteBroken } = printProblems(t, results, contentDir, shownAs);
  if (siteBroken || !results.some((r) => r.key === "site.yaml")) {
    if (!siteBroken) t.err(paint(t).red(`✗ site.yaml: error in file: it is missing. Fix: create ${join(contentDir, "site.yaml")} with title and baseUrl`));
    return EXIT.usage;
  }
  return rejected > 0 ? EXIT.rejected : EXIT.ok;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `4 articles, 2 authors accepted; 7 feeds, 23 files written to dist/ (0 unchanged) in 0.4 s` */
export function summaryLine(t: Terminal, results: readonly IngestResult[], report: PublishReport | undefined, outDir: string | undefined, ms: number): string {
  const count = (pred: (r: IngestResult) => boolean) => results.filter(pred).length;
  const articles = count((r) => r.key.startsWith("articles/") && ["published", "updated", "unchanged"].includes(r.outcome));
  const drafts = count((r) => r.key.startsWith("articles/") && r.outcome === "removed");
  const authors = count((r) => r.key.startsWith("authors/") && r.outcome !== "rejected" && r.outcome !== "ignored");
  const rejected = count((r) => r.outcome === "rejected");
  const held = count((r) => r.outcome === "held");
  const parts = [plural(articles, "article"), plural(authors, "author")];
  if (drafts) parts.push(`${plural(drafts, "draft")} held back`);
  let line = `${parts.join(", ")} accepted`;
  if (rejected) line += paint(t).red(`; ${plural(rejected, "file")} rejected (see above)`);
  if (held) line += paint(t).red(`; ${plural(held, "file")} held, waiting for what they name (see above)`);
  if (report && outDir) line += `; ${report.feeds} feeds, ${report.written.length} files written to ${shown(t, outDir)}/ (${report.unchanged} unchanged)`;
  return `${line} in ${(ms / 1000).toFixed(1)} s`;
}

/** The lines `serve` prints once it is up: where the feeds are. */
export function servingBanner(t: Terminal, url: string, outDir: string, contentDir: string, watching: boolean): string[] {
  const { green, dim } = paint(t);
  return [
    "",
    `Serving ${shown(t, outDir)}/ at ${green(`${url}/`)}`,
    `  RSS        ${url}/${FEED_FILES.rss}`,
    `  Atom       ${url}/${FEED_FILES.atom}`,
    `  JSON Feed  ${url}/${FEED_FILES.json}`,
    `  All feeds  ${url}/${OPML}`,
    dim(watching ? `Watching ${shown(t, contentDir)}/ for changes. Ctrl-C stops.` : "Ctrl-C stops."),
  ];
}

/** `12:00:01 articles/x.md: updated; 10 files written in 35 ms` */
export function changeLine(key: string, outcome: string, written: number, ms: number, at: Date): string {
  return `${at.toLocaleTimeString()} ${key}: ${outcome}; ${written} files written in ${ms} ms`;
}
