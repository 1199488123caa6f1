import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { publish, type PublishReport } from "../../lambdas/app/publish.js";
import { minFill } from "../../lambdas/core/archive.js";
import { articleText } from "../support/builders.js";
import { atomStep, jsonStep, rssStep, walk, type Step } from "../support/archive-walk.js";
import { AUTHOR_MD, memoryPipeline } from "../support/memory-pipeline.js";

/**
 * The archive of bounded pages (issue 13), randomised on the memory adapters: articles
 * added (sometimes the newest, sometimes back in time), edited, moved between
 * categories, deleted and back-dated, one change and one publish at a time, with random
 * page sizes and current-feed lengths. After every publish, in every feed:
 * 1. walking the chain from the current document (JSON Feed, Atom and RSS, each parsed
 *    strictly) finds every live entry exactly once, newest first, and nothing else;
 * 2. every archive page but the newest holds ⌈P/2⌉ to P entries, the newest 1 to P, so
 *    the walk takes at most 2·E/P + 2 fetches;
 * 3. adding the newest article rewrote at most 2 archive pages of the feed, any other
 *    change at most 6 (written or removed), and no page whose entries did not change;
 * 4. a full rebuild from the table writes nothing (the layout is state: the site equals
 *    a rebuild), and every archive file on the site is on the chain.
 *
 * Fixed seed; ARCHIVE_RUNS to search further.
 */

const RUNS = Number(process.env.ARCHIVE_RUNS ?? 60);
const NOW = new Date("2024-06-01T00:00:00Z");
const BASE = "https://feeds.example.com/";
const CATEGORIES = ["News", "Tech"];

type Op =
  | { kind: "add"; at: number; cat: number }
  | { kind: "edit"; pick: number; cat: number }
  | { kind: "delete"; pick: number }
  | { kind: "move"; pick: number; at: number };

const minute = fc.integer({ min: 0, max: 60 * 24 * 40 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("add" as const), at: minute, cat: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("edit" as const), pick: fc.nat(), cat: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("move" as const), pick: fc.nat(), at: minute }) },
);

const dateOf = (m: number) => new Date(Date.UTC(2024, 3, 1) + m * 60_000).toISOString().slice(0, 16).replace("T", " ");

interface Live {
  at: number;
  cat: number;
  title: string;
}

function archivePagesWritten(report: PublishReport, dir: string): number {
  const ids = new Set<string>();
  for (const p of report.written) {
    const m = /^(.*?)archive\/(\d+)\/[^/]+$/.exec(p);
    if (m && m[1] === dir) ids.add(m[2]!);
  }
  return ids.size;
}

const FEEDS = [
  { dir: "", has: (_: Live) => true },
  { dir: "categories/news/", has: (a: Live) => a.cat === 0 },
  { dir: "categories/tech/", has: (a: Live) => a.cat === 1 },
  { dir: "authors/jane-doe/", has: (_: Live) => true },
];

describe("archive pages of bounded size", () => {
  it("keep every entry exactly once, within bounds, rewriting few pages per change, equal to a rebuild", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.array(op, { minLength: 1, maxLength: 40 }), async (P, items, ops) => {
        const p = memoryPipeline();
        await p.put("site.yaml", `title: Archive\nbaseUrl: ${BASE}\nitemsPerFeed: ${items}\narchivePageSize: ${P}\nid: "tag:example.com,2026:"\n`);
        await p.put("authors/jane-doe.md", AUTHOR_MD);
        await publish(p.publishDeps, NOW);
        const live = new Map<string, Live>();
        let n = 0;
        const write = (slug: string, a: Live) =>
          p.put(`articles/${slug}.md`, articleText({ frontMatter: { title: a.title, author: "jane-doe", date: dateOf(a.at), categories: [CATEGORIES[a.cat]!] } }));
        const history: string[] = [];
        for (const o of ops) {
          const slugs = [...live.keys()].sort();
          let newest = false;
          const before = new Map(FEEDS.map((f) => [f.dir, [...live.values()].filter(f.has).map((a) => a.at)]));
          if (o.kind === "add" || slugs.length === 0) {
            const at = o.kind === "add" ? o.at : 0;
            const slug = `a${++n}`;
            const a = { at, cat: o.kind === "add" ? o.cat : 0, title: `T${n}` };
            newest = [...live.values()].every((x) => x.at < at);
            live.set(slug, a);
            await write(slug, a);
            history.push(`add ${slug} ${dateOf(at)} ${CATEGORIES[a.cat]}${newest ? " (newest)" : ""}`);
          } else {
            const slug = slugs[("pick" in o ? o.pick : 0) % slugs.length]!;
            const a = live.get(slug)!;
            if (o.kind === "edit") {
              live.set(slug, { ...a, cat: o.cat, title: `${a.title}'` });
              history.push(`edit ${slug} → ${CATEGORIES[o.cat]}`);
              await write(slug, live.get(slug)!);
            } else if (o.kind === "delete") {
              live.delete(slug);
              history.push(`delete ${slug}`);
              await p.remove(`articles/${slug}.md`);
            } else {
              live.set(slug, { ...a, at: o.at });
              history.push(`move ${slug} ${dateOf(a.at)} → ${dateOf(o.at)}`);
              await write(slug, live.get(slug)!);
            }
          }
          const report = await publish(p.publishDeps, NOW);
          const context = () => `P=${P} itemsPerFeed=${items}\n${history.join("\n")}`;

          for (const f of FEEDS) {
            // 3. Pages rewritten by this one change.
            const rewritten = archivePagesWritten(report, f.dir);
            const limit = newest ? 2 : 6;
            expect(rewritten, `${f.dir || "site"}: ${rewritten} archive pages rewritten\n${context()}`).toBeLessThanOrEqual(limit);
            const entries = [...live.entries()].filter(([, a]) => f.has(a));
            if (entries.length === 0 && (before.get(f.dir) ?? []).length === 0) continue;
            const expected = entries.sort(([sa, a], [sb, b]) => b.at - a.at || (sa < sb ? 1 : -1)).map(([s]) => `tag:example.com,2026:${s}`);
            const read = async (url: string) => {
              const file = p.site.read(url.startsWith(BASE) ? url.slice(BASE.length) : url);
              if (!file) throw new Error(`${url} is not on the site\n${context()}`);
              return file.body;
            };
            // 1. Every live entry exactly once, newest first, in all three formats.
            const sizes: number[] = [];
            const sized = (step: (t: string) => Step) => (t: string) => {
              const s = step(t);
              sizes.push(s.ids.length);
              return s;
            };
            const json = await walk(`${f.dir}feed.json`, read, sized(jsonStep));
            expect(json.ids, `${f.dir || "site"} (JSON Feed)\n${context()}`).toEqual(expected);
            expect((await walk(`${f.dir}atom.xml`, read, atomStep)).ids).toEqual(expected);
            expect((await walk(`${f.dir}feed.xml`, read, rssStep)).ids).toEqual(expected);
            // 2. Page sizes and the number of fetches.
            const [, ...pages] = sizes;
            pages.forEach((size, i) => {
              const lo = i === 0 ? 1 : minFill(P);
              expect(size, `${f.dir || "site"} page ${i} of ${pages.length} holds ${size}: ${pages.join(",")}\n${context()}`).toBeGreaterThanOrEqual(lo);
              expect(size).toBeLessThanOrEqual(P);
            });
            expect(json.pages).toBeLessThanOrEqual((2 * expected.length) / P + 2);
          }
        }
        // 4. A rebuild from the table writes nothing; no stray archive file.
        const rebuild = await publish(p.publishDeps, NOW, { everything: true });
        expect(rebuild.written, history.join("\n")).toEqual([]);
        const onChains = new Set<string>();
        for (const f of FEEDS) {
          if (!p.site.read(`${f.dir}feed.json`)) continue;
          await walk(`${f.dir}feed.json`, async (url) => {
            const path = url.startsWith(BASE) ? url.slice(BASE.length) : url;
            onChains.add(path.replace(/[^/]+$/, ""));
            return p.site.read(path)!.body;
          }, jsonStep);
        }
        for (const path of p.site.paths().filter((x) => /archive\//.test(x))) {
          expect(onChains.has(path.replace(/[^/]+$/, "")), `${path} is not on any chain\n${history.join("\n")}`).toBe(true);
        }
      }),
      { numRuns: RUNS, seed: 20261129 },
    );
  }, Math.max(120_000, RUNS * 3_000));
});
