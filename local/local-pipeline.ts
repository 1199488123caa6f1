import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { DirectoryContent } from "../lambdas/adapters/directory-content.js";
import { DirectorySite } from "../lambdas/adapters/directory-site.js";
import { MemoryContentStore } from "../lambdas/adapters/memory-content-store.js";
import { MemoryPublishLedger } from "../lambdas/adapters/memory-publish-ledger.js";
import { PackageSiteAssets } from "../lambdas/adapters/package-site-assets.js";
import { ingest, reparseArticles, type ContentEvent, type IngestDeps, type IngestResult } from "../lambdas/app/ingest.js";
import { publish, type PublishDeps, type PublishReport } from "../lambdas/app/publish.js";
import { contentRank } from "../lambdas/contracts/content-keys.js";
import { classifyKey, slugOfKey } from "../lambdas/core/content/index.js";
import type { ContentSource, ContentStore, HubNotifier, PublishLedger } from "../lambdas/core/ports.js";
import { defaultWorkers, ParsePool } from "./parse-pool.js";
import { Prefetcher } from "./prefetch.js";
import { scanMeta, statMeta, WarmStore, type FileMeta } from "./warm-store.js";

/**
 * The local host: the same ingest and publish code the Lambdas run, against the memory
 * store and ledger (the adapters that pass the same contract suites as the DynamoDB
 * ones; `store: "dynalite"` runs the DynamoDB adapters against dynalite instead) and a
 * directory. What to publish is read from the dirty marks ingest leaves in the store,
 * exactly as the publish Lambda does (there is no stream locally: the host calls publish
 * after each ingest instead of being woken by the stream). A bulk build reads and parses
 * article files ahead of the ingest loop, in worker threads (`prefetch.ts`).
 */

/** Which store the pipeline runs on: in memory (kept between runs with `storeDir`), or dynalite over HTTP. */
export type LocalStoreKind = "memory" | "dynalite";

/** How long serve waits after a change before saving the warm store (changes in a burst are saved once). */
const SAVE_DEBOUNCE_MS = 1_000;
/** Articles to read from which a build parses in worker threads when `workers` is not given. */
const PARALLEL_FROM = 200;

export interface LocalPipelineOptions {
  readonly contentDir: string;
  readonly outDir: string;
  /** Replaces `baseUrl` of site.yaml, e.g. `http://localhost:8080` when serving. */
  readonly baseUrl?: string;
  readonly hubs?: HubNotifier;
  /** The clock; tests fix it. @default () => new Date() */
  readonly now?: () => Date;
  /**
   * Keep the store in this folder between runs (warm start; see `warm-store.ts`); memory
   * store only.
   * @default every run starts from nothing
   */
  readonly storeDir?: string;
  /** @default "memory" */
  readonly store?: LocalStoreKind;
  /**
   * Worker threads that parse articles in a bulk build; 0 parses in process.
   * @default os.availableParallelism()
   */
  readonly workers?: number;
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
    readonly store: ContentStore,
    private readonly ledger: PublishLedger,
    /** The memory store and ledger, to snapshot (undefined on dynalite). */
    private readonly memory: { readonly store: MemoryContentStore; readonly ledger: MemoryPublishLedger } | undefined,
    private readonly closeStore: () => Promise<void>,
    private readonly source: ContentSource,
    private readonly writer: DirectorySite,
    private readonly warm: WarmStore | undefined,
    private readonly notice: string | undefined,
  ) {
    if (warm?.previous) this.lastSeq = BigInt(`0x${warm.previous.lastSeq}`);
  }

  static async start(options: LocalPipelineOptions): Promise<LocalPipeline> {
    const directory = new DirectoryContent(options.contentDir);
    const source = options.wrapSource ? options.wrapSource(directory) : directory;
    const writer = new DirectorySite(options.outDir);
    if (options.store === "dynalite") {
      if (options.storeDir) throw new Error("LocalPipeline: a store kept between runs (storeDir) needs the memory store");
      // The SDK and dynalite load only when asked for (a build on the memory store starts faster).
      const [{ startLocalDynamo }, { DynamoDbContentStore }, { DynamoDbPublishLedger }] = await Promise.all([
        import("./local-dynamo.js"), import("../lambdas/adapters/dynamodb-content-store.js"), import("../lambdas/adapters/dynamodb-publish-ledger.js"),
      ]);
      const dynamo = await startLocalDynamo();
      const store = new DynamoDbContentStore(dynamo.client, dynamo.tableName);
      const ledger = new DynamoDbPublishLedger(dynamo.client, dynamo.tableName);
      return new LocalPipeline(options, store, ledger, undefined, () => dynamo.close(), source, writer, undefined, undefined);
    }
    let warm: WarmStore | undefined;
    let notice: string | undefined;
    if (options.storeDir) ({ store: warm, notice } = await WarmStore.open(options.storeDir, { contentDir: options.contentDir, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}), ...(options.fresh ? { fresh: true } : {}) }));
    let memory: { store: MemoryContentStore; ledger: MemoryPublishLedger };
    try {
      const states = warm?.takeStates();
      memory = states
        ? { store: MemoryContentStore.restore(states.store, { adopt: true }), ledger: MemoryPublishLedger.restore(states.ledger) }
        : { store: new MemoryContentStore(), ledger: new MemoryPublishLedger() };
    } catch (err) {
      await warm?.release();
      throw err;
    }
    return new LocalPipeline(options, memory.store, memory.ledger, memory, async () => {}, source, writer, warm, notice);
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
    // One clock for the bulk ingest: what a worker parsed ahead was parsed with it.
    const runNow = this.now();
    const results = await this.ingestPhased(toRead, "put", failed, false, runNow);
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
      const byKey = new Map(final.map((r) => [r.key, r]));
      for (const k of toRead) if (!failed.has(k)) warm.record(k, metas.get(k), byKey.get(k));
      for (const k of gone) warm.record(k, undefined);
      for (const r of final) if (!read.has(r.key)) warm.settle(r);
      const published = (report?.written.length ?? 0) > 0 || (report?.feeds ?? 0) > 0;
      if (read.size > 0 || fullPublish || published || warm.changedSinceSave) await this.saveWarm(site ? this.options.outDir : undefined);
    }
    return { results: final, ...(report ? { publish: report } : {}), ingested: [...read], start };
  }

  /**
   * Ingests `keys` in content order (site, authors, articles; reversed for deletes), slugs
   * in parallel. Puts of articles are read and parsed ahead, in the worker threads.
   */
  private async ingestPhased(keys: readonly string[], type: "put" | "delete", failed: Set<string>, reverse = false, now?: Date): Promise<IngestResult[]> {
    const results: IngestResult[] = [];
    const phases = new Map<number, string[]>();
    for (const k of keys) {
      const r = contentRank(k);
      const list = phases.get(r);
      if (list) list.push(k);
      else phases.set(r, [k]);
    }
    for (const phase of reverse ? [3, 2, 1, 0] : [0, 1, 2, 3]) {
      // Files of one slug go in key order (the first one owns the slug); slugs in parallel.
      const groups = new Map<string, string[]>();
      for (const k of phases.get(phase) ?? []) {
        const slug = slugOfKey(k);
        const list = groups.get(slug);
        if (list) list.push(k);
        else groups.set(slug, [k]);
      }
      const queue = [...groups.values()];
      const prefetch = type === "put" && queue.length > 0 ? await this.prefetcher(queue.flat(), now) : undefined;
      try {
        let next = 0;
        await Promise.all(Array.from({ length: INGEST_CONCURRENCY }, async () => {
          while (next < queue.length) {
            const group = queue[next++]!;
            for (const key of group) results.push(await this.ingestSafely(key, type, failed, now, prefetch));
          }
        }));
      } finally {
        prefetch?.close();
      }
    }
    return results;
  }

  /** Reads and parses `keys` (articles, in ingest order) ahead in the worker threads; none when parsing in process or without a site. */
  private async prefetcher(keys: readonly string[], now: Date | undefined): Promise<Prefetcher | undefined> {
    // Starting the workers costs about a second: by default only for a build with many articles to read.
    const workers = this.options.workers ?? (keys.length >= PARALLEL_FROM ? defaultWorkers() : 0);
    if (workers < 1 || !now || classifyKey(keys[0]!) !== "article") return undefined;
    const site = await this.store.getSite();
    if (!site) return undefined;
    this.pool ??= new ParsePool(workers);
    return new Prefetcher(this.source, keys, this.pool, site, now.getTime(), Math.max(64, 64 * workers));
  }

  private pool: ParsePool | undefined;

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
    const out = { results: finalResults(results), ...(await this.publishMarked()) };
    this.saveSoon();
    return out;
  }

  /** Publishes what is marked, and articles that came due (scheduled articles whose time came). */
  async republish(): Promise<PublishReport> {
    const report = await publish(this.publishDeps(), this.now());
    this.warm?.touch();
    this.saveSoon();
    return report;
  }

  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  /** Saves the warm store a little later (serve: a burst of saves is written once). */
  private saveSoon(): void {
    if (!this.warm) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.saving = this.saving.then(() => this.saveIfChanged()).catch(() => undefined);
    }, SAVE_DEBOUNCE_MS);
    this.saveTimer.unref();
  }

  /** The warm store's snapshot, when something changed since the last save; the output folder's marker renewed only if it is still this store's. */
  private async saveIfChanged(): Promise<void> {
    if (!this.warm?.changedSinceSave) return;
    const current = await this.warm.outputIsCurrent(this.options.outDir);
    await this.saveWarm(current ? this.options.outDir : undefined);
  }

  private async saveWarm(outDir: string | undefined): Promise<void> {
    if (!this.warm || !this.memory) return;
    await this.warm.save(this.lastSeq.toString(16), outDir, { store: this.memory.store.snapshot(), ledger: this.memory.ledger.snapshot() });
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
  private async ingestSafely(key: string, type: "put" | "delete" = "put", failed?: Set<string>, now?: Date, prefetch?: Prefetcher): Promise<IngestResult> {
    try {
      return await this.ingestKey(key, type, now, prefetch);
    } catch (err) {
      failed?.add(key);
      return {
        key, outcome: "rejected",
        problems: [{ file: key, field: "file", message: `could not be processed (${(err as Error).message.split("\n")[0]})`, fix: "report this to the feedpub maintainers with the file; the other files are published", severity: "error" }],
      };
    }
  }

  private ingestDeps(prefetch?: Prefetcher): IngestDeps {
    return {
      store: this.store,
      source: prefetch?.source ?? this.source,
      ...(prefetch ? { parse: prefetch.parse } : {}),
      ...(this.options.baseUrl ? { siteOverrides: { baseUrl: this.options.baseUrl } } : {}),
    };
  }

  private async ingestKey(key: string, type: "put" | "delete", now = this.now(), prefetch?: Prefetcher): Promise<IngestResult> {
    const event: ContentEvent = { key, type, seq: this.nextSeq(), time: now.toISOString() };
    return ingest(this.ingestDeps(prefetch), event, now);
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
   * Saves the warm store when something changed since the last save (serve), then stops
   * the parse workers and the store. The output folder's marker is renewed only if it is
   * still this store's (a `dist/` deleted while serving is published whole next time).
   */
  async close(): Promise<void> {
    try {
      clearTimeout(this.saveTimer);
      await this.saving;
      await this.saveIfChanged();
    } finally {
      await this.pool?.close();
      await this.closeStore();
      await this.warm?.release();
    }
  }
}
