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
import { slugOfKey } from "../lambdas/core/content/index.js";
import type { HubNotifier } from "../lambdas/core/ports.js";
import { startLocalDynamo, type LocalDynamo } from "./local-dynamo.js";

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
}

export interface RunSummary {
  readonly results: readonly IngestResult[];
  readonly publish?: PublishReport;
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
    private readonly source: DirectoryContent,
    private readonly writer: DirectorySite,
  ) {}

  static async start(options: LocalPipelineOptions): Promise<LocalPipeline> {
    const dynamo = await startLocalDynamo();
    const store = new DynamoDbContentStore(dynamo.client, dynamo.tableName);
    const ledger = new DynamoDbPublishLedger(dynamo.client, dynamo.tableName);
    return new LocalPipeline(options, dynamo, store, ledger, new DirectoryContent(options.contentDir), new DirectorySite(options.outDir));
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Ingests every file (site, then authors, then articles) and publishes every feed. */
  async buildAll(): Promise<RunSummary> {
    const keys = await listContentKeys(this.options.contentDir);
    const results: IngestResult[] = [];
    const phases = new Map<number, string[]>();
    for (const k of keys) {
      const r = contentRank(k);
      phases.set(r, [...(phases.get(r) ?? []), k]);
    }
    for (const phase of [0, 1, 2, 3]) {
      // Files of one slug go in key order (the first one owns the slug); slugs in parallel.
      const groups = new Map<string, string[]>();
      for (const k of phases.get(phase) ?? []) groups.set(slugOfKey(k), [...(groups.get(slugOfKey(k)) ?? []), k]);
      const queue = [...groups.values()];
      await Promise.all(Array.from({ length: INGEST_CONCURRENCY }, async () => {
        for (let group = queue.shift(); group; group = queue.shift()) {
          for (const key of group) results.push(await this.ingestSafely(key));
        }
      }));
    }
    const site = await this.store.getSite();
    if (!site) return { results: finalResults(results) };
    // Every feed and every archive page: the output folder may hold anything.
    return { results: finalResults(results), publish: await publish(this.publishDeps(), this.now(), { everything: true }) };
  }

  /** One file changed or was removed: ingest it and publish what it affects. */
  async fileChanged(key: string, type: "put" | "delete"): Promise<RunSummary> {
    const results = [await this.ingestKey(key, type)];
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
  private async ingestSafely(key: string): Promise<IngestResult> {
    try {
      return await this.ingestKey(key, "put");
    } catch (err) {
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

  async close(): Promise<void> {
    await this.dynamo.close();
  }
}
