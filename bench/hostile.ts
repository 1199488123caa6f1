/**
 * `npx tsx bench/hostile.ts`: each pathological input of the attack review through
 * parse + render (the pure core, as ingest runs it), timed; prints the slowest. The
 * target is under 1 s each: at 4fbe7cf the slowest took minutes. Also a section of
 * `npm run bench` (BENCH_SKIP=hostile leaves it out).
 */
import { fileURLToPath } from "node:url";
import { parseArticle, parseAuthor, parseSite } from "../lambdas/core/content/index.js";
import type { Site } from "../lambdas/core/model.js";
import { HOSTILE_ARTICLES, HOSTILE_AUTHORS, HOSTILE_SITES } from "../test/support/hostile-inputs.js";

export const HOSTILE_TARGET_MS = 1_000;

export interface HostileTiming {
  name: string;
  inputKB: number;
  ms: number;
  outcome: string;
}

const site: Site = {
  title: "Bench", baseUrl: "https://feeds.example.com", articleUrl: "https://news.example.com/{slug}/", language: "en",
  timeZone: "UTC", description: "", itemsPerFeed: 50, archivePageSize: 100, hubs: [], idPrefix: "tag:example.com,2026:",
};

/** Median of `runs` timings per input (the first run warms the parser up and is not counted). */
export function hostile(runs = 3): { timings: HostileTiming[]; slowest: HostileTiming; targetMs: number; met: boolean } {
  const ctx = { site, authors: new Set(["jane"]), now: new Date("2024-06-01T00:00:00Z") };
  const timings: HostileTiming[] = [];
  for (const input of [...HOSTILE_ARTICLES, ...HOSTILE_SITES, ...HOSTILE_AUTHORS]) {
    if (input.ingestOnly) continue; // read no further than the limit: nothing to parse
    const bytes = input.bytes();
    const parse = () => (input.key === "site.yaml" ? parseSite(input.key, bytes) : input.key.startsWith("authors/") ? parseAuthor(input.key, bytes, site) : parseArticle(input.key, bytes, ctx));
    let r = parse();
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      r = parse();
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    const outcome = r.ok ? "accepted" : `${r.problems[0]!.field}: ${r.problems[0]!.message}`.slice(0, 70);
    timings.push({ name: input.name, inputKB: Math.round(bytes.length / 1024), ms: Math.round(ms[Math.floor(ms.length / 2)]! * 10) / 10, outcome });
  }
  timings.sort((a, b) => b.ms - a.ms);
  const slowest = timings[0]!;
  return { timings, slowest, targetMs: HOSTILE_TARGET_MS, met: slowest.ms < HOSTILE_TARGET_MS };
}

export function hostileTable(r: ReturnType<typeof hostile>): string {
  const rows = r.timings.map((t) => `${t.name.padEnd(64)} ${String(t.inputKB).padStart(6)} KB ${t.ms.toFixed(1).padStart(8)} ms  ${t.outcome}`);
  return [
    `Hostile input, parse + render (median of 3): slowest ${r.slowest.ms} ms (${r.slowest.name}); target < ${r.targetMs} ms: ${r.met ? "met" : "MISSED"}`,
    ...rows,
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = hostile();
  console.log(hostileTable(r));
  if (!r.met) process.exitCode = 1;
}
