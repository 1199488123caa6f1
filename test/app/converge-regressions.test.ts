import { describe, expect, it } from "vitest";
import { MemoryContentSource } from "../../lambdas/adapters/memory-content-source.js";
import { MemoryContentStore } from "../../lambdas/adapters/memory-content-store.js";
import { ingest, reparseArticles, type ContentEvent } from "../../lambdas/app/ingest.js";
import type { ContentStore } from "../../lambdas/core/ports.js";
import { articleText } from "../support/builders.js";
import { AUTHOR_MD, SITE_YAML } from "../support/memory-pipeline.js";

/** Counterexamples the randomised convergence test (converge.property.test.ts) found, kept as fixed cases. */

const NOW = new Date("2024-06-01T00:00:00Z");
const T = NOW.toISOString();

function setup() {
  const store = new MemoryContentStore();
  const source = new MemoryContentSource();
  const deliver = (store_: ContentStore, e: Omit<ContentEvent, "time">) => ingest({ store: store_, source }, { ...e, time: T }, NOW);
  return { store, source, deliver: (e: Omit<ContentEvent, "time">) => deliver(store, e), deliverTo: deliver };
}

describe("convergence counterexamples", () => {
  it("an older event of a held file, arriving last, does not replace the newer one's hold (the author was lost for good)", async () => {
    const { store, source, deliver } = setup();
    // ann.md uploaded (#10), deleted (#11), uploaded again (#12); no site.yaml yet.
    source.put("authors/ann.md", AUTHOR_MD);
    source.delete("authors/ann.md");
    expect((await deliver({ key: "authors/ann.md", type: "delete", seq: "11" })).outcome).toBe("removed");
    source.put("authors/ann.md", AUTHOR_MD);
    expect((await deliver({ key: "authors/ann.md", type: "put", seq: "12" })).outcome).toBe("held");
    // The first upload's event comes last (or at once with #12): it reads the file as it is now, and waits too.
    expect((await deliver({ key: "authors/ann.md", type: "put", seq: "10" })).outcome).toBe("held");
    source.put("site.yaml", SITE_YAML);
    const site = await deliver({ key: "site.yaml", type: "put", seq: "13" });
    // Released as event #12: #10 would be stale against the delete (#11), and ann never published.
    expect(site.also?.map((r) => `${r.key}: ${r.outcome}`)).toEqual(["authors/ann.md: published"]);
    expect((await store.listAuthors()).has("ann")).toBe(true);
  });

  it("a put stalled before its article write while the file is deleted and the delete ingested: the article is not resurrected", async () => {
    const { store, source, deliver, deliverTo } = setup();
    source.put("site.yaml", SITE_YAML);
    await deliver({ key: "site.yaml", type: "put", seq: "1" });
    source.put("authors/jane-doe.md", AUTHOR_MD);
    await deliver({ key: "authors/jane-doe.md", type: "put", seq: "2" });
    source.put("articles/x.md", articleText());
    // L1 (the put, #3) has read the file and claimed the slug; it stalls before it reads the claims.
    let resume!: () => void;
    let stalled!: () => void;
    const gate = new Promise<void>((r) => { resume = r; });
    const reached = new Promise<void>((r) => { stalled = r; });
    const gated = new Proxy(store, {
      get(t, p) {
        const v = Reflect.get(t, p) as (...a: unknown[]) => unknown;
        if (p !== "slugClaims") return typeof v === "function" ? v.bind(t) : v;
        return async (...a: unknown[]) => { stalled(); await gate; return v.apply(t, a); };
      },
    }) as ContentStore;
    const l1 = deliverTo(gated, { key: "articles/x.md", type: "put", seq: "3" });
    await reached;
    // The file is deleted; L2 ingests the delete (#4) and finds no article to remove.
    source.delete("articles/x.md");
    await deliver({ key: "articles/x.md", type: "delete", seq: "4" });
    resume();
    await l1;
    expect(await source.exists("articles/x.md")).toBe(false);
    expect((await store.getArticle("x"))?.article).toBeUndefined();
    expect(await store.queryFeed("site", T, 10)).toEqual([]);
  });

  it("a re-parse that site.yaml asked for, held for a deleted author and released when the author is back, takes the new links", async () => {
    const { store, source, deliver } = setup();
    const site = (base: string) => `title: T\nbaseUrl: ${base}\nid: "tag:example.com,2025:"\n`;
    source.put("site.yaml", site("https://old.example.com"));
    await deliver({ key: "site.yaml", type: "put", seq: "1" });
    source.put("authors/ann.md", AUTHOR_MD);
    await deliver({ key: "authors/ann.md", type: "put", seq: "2" });
    source.put("articles/brief.md", articleText({ frontMatter: { title: "Brief", author: "ann", date: "2024-05-01 10:00" }, body: "[More](../more/)" }));
    await deliver({ key: "articles/brief.md", type: "put", seq: "3" });
    source.delete("authors/ann.md");
    await deliver({ key: "authors/ann.md", type: "delete", seq: "4" });
    source.put("site.yaml", site("https://new.example.com"));
    expect((await deliver({ key: "site.yaml", type: "put", seq: "5" })).reparseArticles).toBe(true);
    expect((await reparseArticles({ store, source }, NOW)).map((r) => `${r.key}: ${r.outcome}`)).toEqual(["articles/brief.md: held"]);
    source.put("authors/ann.md", AUTHOR_MD);
    const back = await deliver({ key: "authors/ann.md", type: "put", seq: "6" });
    expect(back.also?.map((r) => `${r.key}: ${r.outcome}`)).toEqual(["articles/brief.md: updated"]);
    const stored = (await store.getArticle("brief"))!.article!;
    expect(stored.url).toBe("https://new.example.com/brief/");
    expect(stored.contentHtml).toContain("https://new.example.com/more/");
  });
});
