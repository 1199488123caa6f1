import { expect, it } from "vitest";
import { layoutCopy } from "../support/layout-copy.js";
import { MemoryPublishLedger } from "../../lambdas/adapters/memory-publish-ledger.js";
import { MemorySite } from "../../lambdas/adapters/memory-site.js";
import { publish } from "../../lambdas/app/publish.js";
import { reparseArticles } from "../../lambdas/app/ingest.js";
import type { ContentStore, PublishLedger } from "../../lambdas/core/ports.js";
import { articleText } from "../support/builders.js";
import { AUTHOR_MD, memoryPipeline, SITE_YAML } from "../support/memory-pipeline.js";

async function rebuild(store: ContentStore, now: Date, ledger?: PublishLedger): Promise<MemorySite> {
  const site = new MemorySite();
  const readOnly = new Proxy(store, { get: (t, p) => (p === "clearDirty" ? async () => undefined : (Reflect.get(t, p) as (...a: unknown[]) => unknown).bind(t)) });
  await publish({ store: readOnly, ledger: ledger ? await layoutCopy(ledger, store) : new MemoryPublishLedger(), writer: site }, now, { everything: true });
  return site;
}
const snap = (s: MemorySite) => Object.fromEntries(s.paths().sort().map((p) => [p, s.read(p)!.body]));

import { ingest } from "../../lambdas/app/ingest.js";
function jittered<T extends object>(store: T, rnd: (n: number) => number): T {
  return new Proxy(store, { get(t, prop) {
    const v = Reflect.get(t, prop) as unknown;
    if (typeof v !== "function") return v;
    return async (...args: unknown[]) => { for (let k = rnd(4); k > 0; k--) await new Promise((r) => setImmediate(r)); const out = await (v as (...a: unknown[]) => unknown).apply(t, args); for (let k = rnd(3); k > 0; k--) await new Promise((r) => setImmediate(r)); return out; };
  } });
}
it("concurrent fuzz: three ingests or publishes at once, the store jittered at every await", async () => {
  let seed = Number(process.env.SEED ?? 1);
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let run = 0; run < 60; run++) {
    const p = memoryPipeline();
    const log: string[] = [];
    await p.put("site.yaml", SITE_YAML); await p.put("authors/jane-doe.md", AUTHOR_MD);
    const now = new Date("2024-06-05T00:00:00Z");
    let seq = 100;
    const store = jittered(p.store, rnd);
    for (let round = 0; round < 6; round++) {
      const jobs: Promise<unknown>[] = [];
      for (let j = 0; j < 3; j++) {
        const op = rnd(10);
        const key = `articles/${["a", "b", "x/a"][rnd(3)]}.md`;
        const s = (++seq).toString(16);
        if (op < 5) {
          const fm: Record<string, unknown> = { title: `T${round}${j}`, author: rnd(5) === 0 ? "bob" : "jane-doe", date: `2024-06-0${1 + rnd(6)} 1${rnd(10)}:00`, categories: [["News"], ["Tech"], []][rnd(3)], ...(rnd(6) === 0 ? { draft: true } : {}) };
          log.push(`put ${key} ${s} ${JSON.stringify(fm)}`);
          p.source.put(key, articleText({ frontMatter: fm }), s);
          jobs.push(ingest({ store, source: p.source }, { key, type: "put", seq: s, time: "2024-06-01T00:00:00.000Z" }, now));
        } else if (op < 7) {
          log.push(`rm ${key} ${s}`); p.source.delete(key);
          jobs.push(ingest({ store, source: p.source }, { key, type: "delete", seq: s, time: "2024-06-02T00:00:00.000Z" }, now));
        } else if (op < 8) {
          log.push(`bob ${s}`); p.source.put("authors/bob.md", "---\nname: Bob\n---\n", s);
          jobs.push(ingest({ store, source: p.source }, { key: "authors/bob.md", type: "put", seq: s, time: "2024-06-01T00:00:00.000Z" }, now));
        } else {
          log.push("publish"); jobs.push(publish({ ...p.publishDeps, store }, now));
        }
      }
      await Promise.all(jobs);
    }
    await publish(p.publishDeps, now);
    const a = snap(p.site); const b = snap(await rebuild(p.store, now, p.ledger));
    if (JSON.stringify(a) !== JSON.stringify(b)) { console.log(log.join("\n")); expect(a).toEqual(b); }
    expect(await p.store.dirtyMarks(), log.join("\n")).toEqual([]);
  }
});

it("sequential fuzz: random edits, deletes, drafts, authors, itemsPerFeed, publishes at any now (earlier ones too)", async () => {
  let seed = Number(process.env.SEED ?? 1);
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let run = 0; run < 60; run++) {
    const p = memoryPipeline();
    const log: string[] = [];
    await p.put("site.yaml", SITE_YAML); await p.put("authors/jane-doe.md", AUTHOR_MD);
    let now = new Date("2024-06-01T00:00:00Z");
    for (let i = 0; i < 25; i++) {
      const op = rnd(10);
      const key = `articles/${["a", "b", "c", "x/a"][rnd(4)]}.md`;
      if (op < 5) {
        const day = 1 + rnd(9); const cats = [["News"], ["Tech"], ["News", "Tech"], []][rnd(4)];
        const draft = rnd(6) === 0;
        const fm: Record<string, unknown> = { title: `T${i}`, author: rnd(5) === 0 ? "bob" : "jane-doe", date: `2024-06-0${day} 1${rnd(10)}:00`, categories: cats, ...(draft ? { draft: true } : {}) };
        log.push(`put ${key} ${JSON.stringify(fm)}`);
        await p.put(key, articleText({ frontMatter: fm }));
      } else if (op < 7) { log.push(`rm ${key}`); await p.remove(key); }
      else if (op < 8) {
        const n = 1 + rnd(3); log.push(`site n=${n}`);
        const r = await p.put("site.yaml", SITE_YAML.replace("itemsPerFeed: 2", `itemsPerFeed: ${n}`));
        if (r.reparseArticles) await reparseArticles({ store: p.store, source: p.source }, now);
      } else if (op < 9) {
        if (rnd(2)) { log.push("author bob"); await p.put("authors/bob.md", "---\nname: Bob\n---\n"); } else { log.push("rm bob"); await p.remove("authors/bob.md"); }
      } else {
        now = new Date(Date.parse("2024-06-01T00:00:00Z") + rnd(12) * 86400000 + rnd(24) * 3600000);
        log.push(`publish ${now.toISOString()}`);
        await publish(p.publishDeps, now);
      }
    }
    await publish(p.publishDeps, now);
    const a = snap(p.site); const b = snap(await rebuild(p.store, now, p.ledger));
    if (JSON.stringify(a) !== JSON.stringify(b)) { console.log(log.join("\n")); expect(a).toEqual(b); }
    expect(await p.store.dirtyMarks(), log.join("\n")).toEqual([]);
  }
});
