import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { DirectoryContent } from "../lambdas/adapters/directory-content.js";
import { DirectorySite } from "../lambdas/adapters/directory-site.js";
import { DynamoDbContentStore } from "../lambdas/adapters/dynamodb-content-store.js";
import { DynamoDbPublishLedger } from "../lambdas/adapters/dynamodb-publish-ledger.js";
import { PackageSiteAssets } from "../lambdas/adapters/package-site-assets.js";
import { ingest, reparseArticles, type ContentEvent, type IngestDeps, type IngestResult } from "../lambdas/app/ingest.js";
import { publish, type PublishDeps, type PublishReport } from "../lambdas/app/publish.js";
import { contentRank } from "../lambdas/contracts/content-keys.js";
import { classifyKey, slugOfKey } from "../lambdas/core/content/index.js";
import type { ContentSource, HubNotifier } from "../lambdas/core/ports.js";
import { startLocalDynamo, type LocalDynamo } from "./local-dynamo.js";
import { scanMeta, statMeta, WarmStore, type FileMeta } from "./warm-store.js";

/**
 * The local host: the same ingest and publish code the Lambdas run, against dynalite
 * and a directory. What to publish is read from the dirty marks ingest leaves in the
 * table, exactly as the publish Lambda does (dynalite has no stream: the host calls
 * publish after each ingest instead of being woken by the stream).
 */

export interface LocalPipelineOptions {
  readonly contentDir: string;
  readonly outDir: string;
  /** Replaces `baseUrl` of site.yaml, e.g. `http://localhost:8080` when serving. */
  readonly baseUrl?: string;
  readonly hubs?: HubNotifier;
  /** The clock; tests fix it. @default () => new Date() */
  readonly now?: () => Date;
  /**
   * Keep the store in this folder between runs (warm start; see `warm-store.ts`).
   * @default in memory: every run starts from nothing
   */
  readonly storeDir?: string;
  /** Delete the store in `storeDir` first. */
  readonly fresh?: boolean;
  /** Wraps the content folder's reader (tests count reads). */
  readonly wrapSource?: (source: ContentSource) => ContentSource;
}

export interface RunSummary {
  readonly results: readonly IngestResult[];
  readonly publish?: PublishReport;
  /** Keys read and ingested this run (a warm start reads only files that changed). */
  readonly ingested?: readonly string[];
  /** How the run started: "cold" (empty store) or "warm"; and, when it started over, why. */
  readonly start?: { readonly mode: "cold" | "warm"; readonly notice?: string; readonly fullPublish: boolean };
}

const INGEST_CONCURRENCY = 8;

/**
 * Every file's last outcome: an event can ingest other files again (held files released,
 * the next owner of a slug), and a later result of a key replaces an earlier one.
 */
export function finalResults(results: readonly IngestResult[]): IngestResult[] {
  const last = new Map<string, IngestResult>();
  const visit = (r: IngestResult) => {
    last.delete(r.key);
    last.set(r.key, r);
    for (const a of r.also ?? []) visit(a);
  };
  for (const r of results) visit(r);
  return [...last.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Every content key under `dir`, `/`-separated, exactly as named on disk, sorted. */
export async function listContentKeys(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join("/"))
    .sort();
}

export class LocalPipeline {
  /** The font and any other static asset, from node_modules into dist/ as publish writes them to the bucket on AWS. */
  private readonly assets = new PackageSiteAssets();

  private constructor(
    private readonly options: LocalPipelineOptions,
    private readonly dynamo: LocalDynamo,
    readonly store: DynamoDbContentStore,
    private readonly ledger: DynamoDbPublishLedger,
    private readonly source: ContentSource,
    private readonly writer: DirectorySite,
    private readonly warm: WarmStore | undefined,
    private readonly notice: string | undefined,
  ) {
    if (warm?.previous) this.lastSeq = BigInt(`0x${warm.previous.lastSeq}`);
  }

  static async start(options: LocalPipelineOptions): Promise<LocalPipeline> {
    let warm: WarmStore | undefined;
    let notice: string | undefined;
    if (options.storeDir) ({ store: warm, notice } = await WarmStore.open(options.storeDir, { contentDir: options.contentDir, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}), ...(options.fresh ? { fresh: true } : {}) }));
    let dynamo: LocalDynamo;
    try {
      dynamo = await startLocalDynamo("feedpub", warm ? { path: warm.dbPath } : {});
    } catch (err) {
      await warm?.release();
      throw err;
    }
    const store = new DynamoDbContentStore(dynamo.client, dynamo.tableName);
    const ledger = new DynamoDbPublishLedger(dynamo.client, dynamo.tableName);
    const directory = new DirectoryContent(options.contentDir);
    const source = options.wrapSource ? options.wrapSource(directory) : directory;
    return new LocalPipeline(options, dynamo, store, ledger, source, new DirectorySite(options.outDir), warm, notice);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /**
   * Ingests every file (site, then authors, then articles) and publishes every feed. With
   * a store kept from the last run (warm start): ingests only files whose metadata changed
   * and deletes for files that went, then publishes what the dirty marks say, or
   * everything when the output folder is not what the last run wrote.
   */
  async buildAll(): Promise<RunSummary> {
    const keys = await listContentKeys(this.options.contentDir);
    const warm = this.warm;
    // Metadata first, then the bytes: a file changed while it is read is read again next time.
    const metas = warm ? await scanMeta(this.options.contentDir, keys) : new Map<string, FileMeta>();
    const isWarm = warm?.previous !== undefined;
    const toRead = isWarm ? keys.filter((k) => !metas.has(k) || !warm.unchanged(k, metas.get(k)!)) : keys;
    const gone = isWarm ? warm.gone(metas) : [];
    const failed = new Set<string>();
    const results = await this.ingestPhased(toRead, "put", failed);
    // Deletes last (articles before authors): a moved article is claimed by its new key first.
    results.push(...(await this.ingestPhased(gone, "delete", failed, true)));
    if (isWarm && results.some((r) => r.reparseArticles)) results.push(...(await reparseArticles(this.ingestDeps(), this.now())));
    const read = new Set([...toRead, ...gone]);
    // A file that went is no file of this run: its own result is not reported (what it settled is).
    const goneKeys = new Set(gone);
    const final = finalResults([...(warm ? warm.storedResults(keys.filter((k) => !read.has(k))) : []), ...results]).filter((r) => !goneKeys.has(r.key));
    // site.yaml or an author changed: incremental publish rebuilds current feeds only (archive
    // pages keep the old links and names until the full-rebuild work lands), so everything.
    const siteWide = toRead.some((k) => { const kind = classifyKey(k); return kind === "site" || kind === "author"; });
    const fullPublish = !isWarm || siteWide || !(await warm.outputIsCurrent(this.options.outDir));
    const start = { mode: isWarm ? "warm" as const : "cold" as const, fullPublish, ...(this.notice ? { notice: this.notice } : {}) };
    const site = await this.store.getSite();
    // Every feed and every archive page: the output folder may hold anything.
    const report = site ? await publish(this.publishDeps(), this.now(), fullPublish ? { everything: true } : {}) : undefined;
    if (warm) {
      for (const k of toRead) if (!failed.has(k)) warm.record(k, metas.get(k), final.find((r) => r.key === k));
      for (const k of gone) warm.record(k, undefined);
      for (const r of final) if (!read.has(r.key)) warm.settle(r);
      if (read.size > 0 || fullPublish || warm.changedSinceSave) await warm.save(this.lastSeq.toString(16), site ? this.options.outDir : undefined);
    }
    return { results: final, ...(report ? { publish: report } : {}), ingested: [...read], start };
  }

  /** Ingests `keys` in content order (site, authors, articles; reversed for deletes), slugs in parallel. */
  private async ingestPhased(keys: readonly string[], type: "put" | "delete", failed: Set<string>, reverse = false): Promise<IngestResult[]> {
    const results: IngestResult[] = [];
    const phases = new Map<number, string[]>();
    for (const k of keys) {
      const r = contentRank(k);
      phases.set(r, [...(phases.get(r) ?? []), k]);
    }
    for (const phase of reverse ? [3, 2, 1, 0] : [0, 1, 2, 3]) {
      // Files of one slug go in key order (the first one owns the slug); slugs in parallel.
      const groups = new Map<string, string[]>();
      for (const k of phases.get(phase) ?? []) groups.set(slugOfKey(k), [...(groups.get(slugOfKey(k)) ?? []), k]);
      const queue = [...groups.values()];
      await Promise.all(Array.from({ length: INGEST_CONCURRENCY }, async () => {
        for (let group = queue.shift(); group; group = queue.shift()) {
          for (const key of group) results.push(await this.ingestSafely(key, type, failed));
        }
      }));
    }
    return results;
  }

  /** One file changed or was removed: ingest it and publish what it affects. */
  async fileChanged(key: string, type: "put" | "delete"): Promise<RunSummary> {
    const meta = this.warm ? await statMeta(this.options.contentDir, key) : undefined;
    const results = [await this.ingestKey(key, type)];
    if (this.warm && classifyKey(key) !== "ignored") {
      this.warm.record(key, meta, results[0]);
      for (const r of finalResults(results)) if (r.key !== key) this.warm.settle(r);
    }
    // The site's links changed: articles stored with the old ones are parsed again.
    if (results[0]!.reparseArticles) results.push(...(await reparseArticles(this.ingestDeps(), this.now())));
    return { results: finalResults(results), ...(await this.publishMarked()) };
  }

  /** Publishes what is marked, and articles that came due (scheduled articles whose time came). */
  async republish(): Promise<PublishReport> {
    return publish(this.publishDeps(), this.now());
  }

  private async publishMarked(): Promise<{ publish?: PublishReport }> {
    if (!(await this.store.getSite())) return {};
    const report = await publish(this.publishDeps(), this.now());
    return report.feeds === 0 && report.written.length === 0 ? {} : { publish: report };
  }

  private publishDeps(): PublishDeps {
    return { store: this.store, ledger: this.ledger, writer: this.writer, assets: this.assets, ...(this.options.hubs ? { hubs: this.options.hubs } : {}) };
  }

  /**
   * One file's failure is that file's problem: a bug or a store error while ingesting it
   * is reported on it, and the other files still publish.
   */
  private async ingestSafely(key: string, type: "put" | "delete" = "put", failed?: Set<string>): Promise<IngestResult> {
    try {
      return await this.ingestKey(key, type);
    } catch (err) {
      failed?.add(key);
      return {
        key, outcome: "rejected",
        problems: [{ file: key, field: "file", message: `could not be processed (${(err as Error).message.split("\n")[0]})`, fix: "report this to the feedpub maintainers with the file; the other files are published", severity: "error" }],
      };
    }
  }

  private ingestDeps(): IngestDeps {
    return { store: this.store, source: this.source, ...(this.options.baseUrl ? { siteOverrides: { baseUrl: this.options.baseUrl } } : {}) };
  }

  private async ingestKey(key: string, type: "put" | "delete"): Promise<IngestResult> {
    const event: ContentEvent = { key, type, seq: this.nextSeq(), time: this.now().toISOString() };
    return ingest(this.ingestDeps(), event, this.now());
  }

  private lastSeq = 0n;

  /**
   * Events of one file are ordered by arrival, not by mtime (restoring an older copy with
   * `cp -p`, `rsync -t` or `tar x` is a change too): wall-clock microseconds, strictly
   * increasing within the process.
   */
  private nextSeq(): string {
    const wall = BigInt(Date.now()) * 1000n;
    this.lastSeq = wall > this.lastSeq ? wall : this.lastSeq + 1n;
    return this.lastSeq.toString(16);
  }

  /**
   * Saves the warm store's manifest when files changed since the last save (serve), then
   * stops dynalite. The output folder's marker is renewed only if it is still this
   * store's (a `dist/` deleted while serving is published whole next time).
   */
  async close(): Promise<void> {
    try {
      if (this.warm?.changedSinceSave) {
        const current = await this.warm.outputIsCurrent(this.options.outDir);
        await this.warm.save(this.lastSeq.toString(16), current ? this.options.outDir : undefined);
      }
    } finally {
      await this.dynamo.close();
      await this.warm?.release();
    }
  }
}
