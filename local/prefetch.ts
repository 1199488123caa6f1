import type { ArticleParse, ArticleParseContext } from "../lambdas/app/ingest.js";
import { parseArticleBytes } from "../lambdas/app/ingest.js";
import { fileSizeProblem, maxBytesOf } from "../lambdas/core/content/index.js";
import type { Parsed } from "../lambdas/core/content/index.js";
import type { Article, Site } from "../lambdas/core/model.js";
import type { ContentSource, SourceFile } from "../lambdas/core/ports.js";
import type { ParsePool } from "./parse-pool.js";

/**
 * The bulk build's pipeline: article files are read and parsed ahead of the ingest loop
 * (up to `window` files ahead, parsed in the pool's worker threads), and ingest takes
 * them through the `source` and `parse` it is given. What ingest gets is what it would
 * have read and parsed itself: the bytes come from the same reader with the same limit,
 * and a parse done ahead is used only for those very bytes (the same `Uint8Array`), the
 * same site settings and the same clock; otherwise ingest parses in process.
 */

interface Ahead {
  readonly file: Promise<SourceFile | undefined>;
}

interface Parsing {
  readonly siteJson: string;
  readonly nowMs: number;
  readonly result: Promise<Parsed<Article>>;
}

export class Prefetcher {
  private readonly ahead = new Map<string, Ahead>();
  private readonly parsed = new WeakMap<Uint8Array, Parsing>();
  private next = 0;
  /** Keys ingest read before they were read ahead: not read ahead any more. */
  private readonly taken = new Set<string>();
  private readonly siteJson: string;

  constructor(
    private readonly inner: ContentSource,
    /** Article keys in the order ingest takes them. */
    private readonly keys: readonly string[],
    private readonly pool: ParsePool,
    private readonly site: Site,
    private readonly nowMs: number,
    private readonly window = 256,
  ) {
    this.siteJson = JSON.stringify(site);
    this.fill();
  }

  private fill(): void {
    while (this.next < this.keys.length && this.ahead.size < this.window) {
      const key = this.keys[this.next++]!;
      if (!this.taken.has(key)) this.start(key);
    }
  }

  private start(key: string): Ahead {
    const file = this.inner.read(key, maxBytesOf(key)).then((f) => {
      // Too large: ingest rejects it before parsing.
      if (f && !fileSizeProblem(key, f.size ?? f.body.length)) {
        const result = this.pool.parse(key, f.body, this.site, this.nowMs);
        result.catch(() => undefined); // ingest parses in process then
        this.parsed.set(f.body, { siteJson: this.siteJson, nowMs: this.nowMs, result });
      }
      return f;
    });
    file.catch(() => undefined); // ingest's own read reports it
    const a = { file };
    this.ahead.set(key, a);
    return a;
  }

  /** The reader ingest gets: a file read ahead is handed out once, then read as usual. */
  readonly source: ContentSource = {
    read: async (key, maxBytes) => {
      const a = this.ahead.get(key);
      if (!a || maxBytes !== maxBytesOf(key)) {
        this.taken.add(key);
        return this.inner.read(key, maxBytes);
      }
      this.ahead.delete(key);
      this.fill();
      try {
        return await a.file;
      } catch {
        return this.inner.read(key, maxBytes);
      }
    },
    exists: (key) => this.inner.exists(key),
    list: (prefix) => this.inner.list(prefix),
  };

  /** The parse ingest gets: the worker's result for these bytes, site and clock, or the in-process parse. */
  readonly parse: ArticleParse = async (key: string, body: Uint8Array, ctx: ArticleParseContext) => {
    const p = this.parsed.get(body);
    if (p && p.nowMs === ctx.now.getTime() && p.siteJson === JSON.stringify(ctx.site)) {
      this.parsed.delete(body);
      try {
        return await p.result;
      } catch {
        // A worker failed: parse here.
      }
    }
    return parseArticleBytes(key, body, ctx);
  };

  /** Lets go of files read ahead and not taken (the build ended early). */
  close(): void {
    this.next = this.keys.length;
    this.ahead.clear();
  }
}
