import { MemoryContentSource } from "../../lambdas/adapters/memory-content-source.js";
import { MemoryContentStore } from "../../lambdas/adapters/memory-content-store.js";
import { MemoryHubNotifier } from "../../lambdas/adapters/memory-hub-notifier.js";
import { MemoryInvalidator } from "../../lambdas/adapters/memory-invalidator.js";
import { MemoryPublishLedger } from "../../lambdas/adapters/memory-publish-ledger.js";
import { MemorySite } from "../../lambdas/adapters/memory-site.js";
import { ingest, type IngestResult } from "../../lambdas/app/ingest.js";
import type { PublishDeps } from "../../lambdas/app/publish.js";

/** The use cases wired to the memory adapters: no emulator, no disk, no network. */
export function memoryPipeline() {
  const source = new MemoryContentSource();
  const store = new MemoryContentStore();
  const ledger = new MemoryPublishLedger();
  const site = new MemorySite();
  const invalidator = new MemoryInvalidator();
  const hubs = new MemoryHubNotifier();
  const publishDeps: PublishDeps = { store, ledger, writer: site, invalidator, hubs };
  let seq = 0;
  return {
    source, store, ledger, site, invalidator, hubs, publishDeps,
    /** Stores the file and ingests its event, as S3 and the ingest Lambda would. */
    async put(key: string, text: string, time = "2024-06-01T00:00:00.000Z"): Promise<IngestResult> {
      const s = (++seq).toString(16);
      source.put(key, text, s);
      return ingest({ store, source }, { key, type: "put", seq: s, time }, new Date("2024-06-01T00:00:00Z"));
    },
    async remove(key: string, time = "2024-06-02T00:00:00.000Z"): Promise<IngestResult> {
      source.delete(key);
      return ingest({ store, source }, { key, type: "delete", seq: (++seq).toString(16), time }, new Date("2024-06-02T00:00:00Z"));
    },
  };
}

export const SITE_YAML = "title: Test News\nbaseUrl: https://feeds.example.com\nitemsPerFeed: 2\narchivePageSize: 2\nid: \"tag:example.com,2026:\"\nhubs:\n  - https://hub.example.com/\n";
export const AUTHOR_MD = "---\nname: Jane Doe\n---\nJane writes.\n";
