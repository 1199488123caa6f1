import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { LocalPipeline } from "../local/local-pipeline.js";
import { articleSpec, AUTHORS, authorMarkdown, markdownOf, SITE_YAML } from "./synthetic.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * serve mode (`npm start`): n real Markdown files in a content folder, the local pipeline
 * (in-process dynalite, DirectoryContent, DirectorySite) builds everything with
 * `buildAll()`, then the newest article is edited `edits` times: each time the file is
 * saved, `fileChanged` runs (what the watcher calls), and the clock stops when
 * dist/feed.xml holds the new title. The watcher's own wait for the write to settle
 * (chokidar awaitWriteFinish, 150 ms in local/serve.ts) comes on top and is not measured.
 */
export async function serveLatency(n: number, now: Date, edits = 5) {
  const dir = await mkdtemp(join(os.tmpdir(), "feedpub-bench-serve-"));
  try {
    const content = join(dir, "content");
    const out = join(dir, "dist");
    const t0 = performance.now();
    await mkdir(join(content, "authors"), { recursive: true });
    await writeFile(join(content, "site.yaml"), SITE_YAML);
    for (const a of AUTHORS) await writeFile(join(content, "authors", `${a.slug}.md`), authorMarkdown(a));
    let bytes = 0;
    const years = new Set<string>();
    let newestKey = "";
    for (let i = 0; i < n; i++) {
      const s = articleSpec(i);
      const year = s.published.slice(0, 4);
      if (!years.has(year)) {
        years.add(year);
        await mkdir(join(content, "articles", year), { recursive: true });
      }
      const text = markdownOf(s);
      bytes += Buffer.byteLength(text);
      newestKey = `articles/${year}/${s.slug}.md`;
      await writeFile(join(content, newestKey), text);
    }
    const writeMs = performance.now() - t0;

    const pipeline = await LocalPipeline.start({ contentDir: content, outDir: out, now: () => now });
    try {
      const t1 = performance.now();
      const heartbeat = setInterval(() => process.stderr.write(`  serve: buildAll of ${n.toLocaleString("en")} files running, ${((performance.now() - t1) / 1000).toFixed(0)} s\n`), 15_000);
      // buildAll ingests every file, then publishes: the first file in dist/ marks the switch.
      let firstFileMs: number | undefined;
      const poll = setInterval(() => { if (firstFileMs === undefined && existsSync(out)) firstFileMs = performance.now() - t1; }, 50);
      const summary = await pipeline.buildAll().finally(() => { clearInterval(heartbeat); clearInterval(poll); });
      const buildMs = performance.now() - t1;
      const outcomes: Record<string, number> = {};
      for (const r of summary.results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;

      const spec = articleSpec(n - 1);
      const times: number[] = [];
      const written: number[] = [];
      for (let k = -1; k < edits; k++) {
        // k = -1 warms the path up and is not counted.
        const title = `${spec.title} (bench edit ${k + 1})`;
        const t = performance.now();
        await writeFile(join(content, newestKey), markdownOf(spec, title));
        const r = await pipeline.fileChanged(newestKey, "put");
        const feed = await readFile(join(out, "feed.xml"), "utf8");
        const ms = performance.now() - t;
        if (!feed.includes(title)) throw new Error(`serve: the edit "${title}" is not in dist/feed.xml (outcome ${r.results[0]?.outcome})`);
        if (k >= 0) { times.push(ms); written.push(r.publish?.written.length ?? 0); }
      }
      return {
        articles: n, markdownMB: Math.round(bytes / 1e5) / 10, writeFilesS: Math.round(writeMs / 100) / 10,
        buildAllS: Math.round(buildMs / 100) / 10,
        ingestPhaseS: firstFileMs === undefined ? null : Math.round(firstFileMs / 100) / 10,
        publishPhaseS: firstFileMs === undefined ? null : Math.round((buildMs - firstFileMs) / 100) / 10, buildAllFilesWritten: summary.publish?.written.length ?? 0, outcomes,
        saveToFeedMs: Math.round(median(times)), saveToFeedRunsMs: times.map(Math.round), filesWrittenPerEdit: median(written),
      };
    } finally {
      await pipeline.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
