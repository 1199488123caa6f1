import { readdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { DirectoryContent } from "../lambdas/adapters/directory-content.js";
import { DirectorySite } from "../lambdas/adapters/directory-site.js";
import { DynamoDbStore } from "../lambdas/adapters/dynamodb-store.js";
import { mergeChanges, isEmpty, type Change } from "../lambdas/app/change.js";
import { ingest, type ContentEvent, type IngestResult } from "../lambdas/app/ingest.js";
import { publish, type PublishDeps, type PublishReport } from "../lambdas/app/publish.js";
import { contentRank } from "../lambdas/contracts/content-keys.js";
import { slugOfKey } from "../lambdas/core/content/index.js";
import type { HubNotifier } from "../lambdas/core/ports.js";
import { startLocalDynamo, type LocalDynamo } from "./local-dynamo.js";

/**
 * The local host: the same ingest and publish code the Lambdas run, against dynalite
 * and a directory. DynamoDB Streams don't exist in dynalite, so the change records that
 * ingest returns are handed to publish directly (on AWS the stream carries them).
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

/** Every content key under `dir`, `/`-separated, exactly as named on disk, sorted. */
export async function listContentKeys(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join("/"))
    .sort();
}

export class LocalPipeline {
  private constructor(
    private readonly options: LocalPipelineOptions,
    private readonly dynamo: LocalDynamo,
    readonly store: DynamoDbStore,
    private readonly source: DirectoryContent,
    private readonly writer: DirectorySite,
  ) {}

  static async start(options: LocalPipelineOptions): Promise<LocalPipeline> {
    const dynamo = await startLocalDynamo();
    const store = new DynamoDbStore(dynamo.client, dynamo.tableName);
    return new LocalPipeline(options, dynamo, store, new DirectoryContent(options.contentDir), new DirectorySite(options.outDir));
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
          for (const key of group) results.push(await this.ingestKey(key, "put"));
        }
      }));
    }
    results.sort((a, b) => a.key.localeCompare(b.key));
    const site = await this.store.getSite();
    if (!site) return { results };
    // Every feed, and every archive page an ingested entry is in (the output folder may be empty).
    const change = { ...mergeChanges(results.map((r) => r.change)), all: true };
    return { results, publish: await publish(this.publishDeps(), change, this.now()) };
  }

  /** One file changed or was removed: ingest it and publish what it affects. */
  async fileChanged(key: string, type: "put" | "delete"): Promise<RunSummary> {
    const result = await this.ingestKey(key, type);
    return { results: [result], ...(await this.publishChange(result.change)) };
  }

  /** Publishes everything again (scheduled articles whose time came). */
  async republish(): Promise<PublishReport> {
    return publish(this.publishDeps(), { all: true, feeds: [] }, this.now());
  }

  private async publishChange(change: Change): Promise<{ publish?: PublishReport }> {
    if (isEmpty(change) || !(await this.store.getSite())) return {};
    return { publish: await publish(this.publishDeps(), mergeChanges([change]), this.now()) };
  }

  private publishDeps(): PublishDeps {
    return { store: this.store, ledger: this.store, writer: this.writer, ...(this.options.hubs ? { hubs: this.options.hubs } : {}) };
  }

  private async ingestKey(key: string, type: "put" | "delete"): Promise<IngestResult> {
    const event = await this.eventFor(key, type);
    const siteOverrides = this.options.baseUrl ? { baseUrl: this.options.baseUrl } : {};
    return ingest({ store: this.store, source: this.source, siteOverrides }, event, this.now());
  }

  private async eventFor(key: string, type: "put" | "delete"): Promise<ContentEvent> {
    if (type === "put") {
      try {
        const st = await stat(join(this.options.contentDir, key), { bigint: true });
        return { key, type, seq: st.mtimeNs.toString(16), time: new Date(Number(st.mtimeMs)).toISOString() };
      } catch {
        // Vanished between the watcher event and now: ingest reports "gone".
      }
    }
    // The wall clock, not the injected one: the stamp must order after the file's mtime.
    const wall = Date.now();
    return { key, type, seq: (BigInt(wall) * 1_000_000n).toString(16), time: this.now().toISOString() };
  }

  async close(): Promise<void> {
    await this.dynamo.close();
  }
}
