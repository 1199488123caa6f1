import { describe, expect, it } from "vitest";
import { ingest, parseArticleBytes, type ArticleParse } from "../../lambdas/app/ingest.js";
import { AUTHOR_MD, memoryPipeline, SITE_YAML } from "../support/memory-pipeline.js";

/** The `parse` port of ingest: the local bulk build hands in one that parsed ahead in a worker thread. */

const ARTICLE = "---\ntitle: Ported\ndate: 2024-05-01T10:00:00Z\nauthor: jane\n---\nBody.\n";

describe("IngestDeps.parse", () => {
  it("ingest parses articles with the parse it is given (async), and by default with parseArticleBytes", async () => {
    const p = memoryPipeline();
    await p.put("site.yaml", SITE_YAML);
    await p.put("authors/jane.md", AUTHOR_MD);
    p.source.put("articles/ported.md", ARTICLE, "a");
    const calls: string[] = [];
    const parse: ArticleParse = async (key, body, ctx) => {
      calls.push(key);
      const r = parseArticleBytes(key, body, ctx);
      return r.ok ? { ...r, value: { ...r.value, title: "Parsed by the port" } } : r;
    };
    const r = await ingest({ store: p.store, source: p.source, parse }, { key: "articles/ported.md", type: "put", seq: "a", time: "2024-06-01T00:00:00.000Z" }, new Date("2024-06-01T00:00:00Z"));
    expect(r.outcome).toBe("published");
    expect(calls).toEqual(["articles/ported.md"]);
    expect((await p.store.getArticle("ported"))?.article?.title).toBe("Parsed by the port");

    const plain = await p.put("articles/plain.md", ARTICLE.replace("Ported", "Plain"));
    expect(plain.outcome).toBe("published");
    expect((await p.store.getArticle("plain"))?.article?.title).toBe("Plain");
  });
});
