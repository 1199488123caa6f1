import fc from "fast-check";
import { it } from "vitest";
import { MemoryContentSource } from "../../lambdas/adapters/memory-content-source.js";
import { MemoryContentStore } from "../../lambdas/adapters/memory-content-store.js";
import { ingest } from "../../lambdas/app/ingest.js";
import { AUTHOR_MD, SITE_YAML } from "../support/memory-pipeline.js";
import { articleText } from "../support/builders.js";

function scheduled<T extends object>(target: T, s: fc.Scheduler, tag: string): T {
  return new Proxy(target, { get(t, prop) { const value = Reflect.get(t, prop) as unknown; if (typeof value !== "function") return value;
    return (...args: unknown[]) => s.schedule(Promise.resolve(), `${tag} ${String(prop)}`).then(() => (value as (...a: unknown[]) => unknown).apply(t, args)); } });
}
it("race put/delete", async () => {
  let bad = 0, runs = 0;
  await fc.assert(fc.asyncProperty(fc.scheduler(), async (s) => {
    runs++;
    const store = new MemoryContentStore(); const source = new MemoryContentSource(); const now = new Date("2024-06-01T00:00:00Z");
    source.put("site.yaml", SITE_YAML); await ingest({ store, source }, { key: "site.yaml", type: "put", seq: "1", time: now.toISOString() }, now);
    source.put("authors/jane-doe.md", AUTHOR_MD); await ingest({ store, source }, { key: "authors/jane-doe.md", type: "put", seq: "2", time: now.toISOString() }, now);
    source.put("articles/x.md", articleText(), "3");
    const p1 = ingest({ store: scheduled(store, s, "L1"), source: scheduled(source, s, "L1") }, { key: "articles/x.md", type: "put", seq: "3", time: now.toISOString() }, now);
    const p2 = s.schedule(Promise.resolve(), "change").then(() => { source.delete("articles/x.md"); return ingest({ store: scheduled(store, s, "L2"), source: scheduled(source, s, "L2") }, { key: "articles/x.md", type: "delete", seq: "4", time: now.toISOString() }, now); });
    await s.waitFor(Promise.all([p1, p2]));
    if ((await store.getArticle("x"))?.article) { bad++; if (bad === 1) console.log(s.report().map((r) => r.label).join("\n")); }
  }), { numRuns: 200, seed: 1 });
  console.log({ bad, runs });
});
