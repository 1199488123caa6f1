import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { MemorySite } from "../lambdas/adapters/memory-site.js";
import type { Invalidator, SiteFile, SiteWriter } from "../lambdas/core/ports.js";

/**
 * Counts what a DynamoDB client reads: a middleware on the client's stack (shared by the
 * document client the store wraps it in) sees every deserialised response.
 * - Query/Scan: `ScannedCount` (the items DynamoDB reads and bills, before a filter)
 *   and `Count` (the items returned);
 * - GetItem: 1 when an item came back; BatchGetItem: the items of `Responses`.
 */
export interface Meter {
  requests: number;
  /** Items DynamoDB read (ScannedCount for Query/Scan). */
  itemsRead: number;
  /** Items returned to the caller (Count for Query/Scan). */
  itemsReturned: number;
  byCommand: Record<string, number>;
  reset(): void;
  snapshot(): { requests: number; itemsRead: number; itemsReturned: number; byCommand: Record<string, number> };
}

export function meter(client: DynamoDBClient): Meter {
  const m: Meter = {
    requests: 0, itemsRead: 0, itemsReturned: 0, byCommand: {},
    reset() { m.requests = 0; m.itemsRead = 0; m.itemsReturned = 0; m.byCommand = {}; },
    snapshot() { return { requests: m.requests, itemsRead: m.itemsRead, itemsReturned: m.itemsReturned, byCommand: { ...m.byCommand } }; },
  };
  client.middlewareStack.add((next, context) => async (args) => {
    const out = await next(args);
    const name = (context.commandName ?? "unknown").replace(/Command$/, "");
    m.requests++;
    m.byCommand[name] = (m.byCommand[name] ?? 0) + 1;
    const o = out.output as { Count?: number; ScannedCount?: number; Item?: unknown; Responses?: Record<string, unknown[]> };
    if (typeof o.Count === "number") {
      m.itemsReturned += o.Count;
      m.itemsRead += o.ScannedCount ?? o.Count;
    } else if (o.Item) {
      m.itemsReturned++;
      m.itemsRead++;
    } else if (o.Responses) {
      const n = Object.values(o.Responses).reduce((s, items) => s + items.length, 0);
      m.itemsReturned += n;
      m.itemsRead += n;
    }
    return out;
  }, { step: "initialize", name: "benchReadMeter" });
  return m;
}

/** Counts what publish asks of the site bucket; the bucket itself is a `MemorySite` that keeps hashes only. */
export class CountingSiteWriter implements SiteWriter {
  written = 0;
  bytesWritten = 0;
  hashLookups = 0;
  constructor(readonly site: MemorySite = new MemorySite({ keepBodies: false })) {}
  hashes(paths: readonly string[]): Promise<Map<string, string>> {
    this.hashLookups += paths.length;
    return this.site.hashes(paths);
  }
  write(file: SiteFile, hash: string): Promise<void> {
    this.written++;
    this.bytesWritten += Buffer.byteLength(file.body);
    return this.site.write(file, hash);
  }
  remove(path: string): Promise<void> {
    this.written++;
    return this.site.remove(path);
  }
  reset(): void { this.written = 0; this.bytesWritten = 0; this.hashLookups = 0; }
}

/**
 * CloudFront, counted: the paths publish asks to invalidate, and the paths CloudFront
 * would bill once CloudFrontInvalidator has folded more than 5 (its default
 * `maxExactPaths`) into one `/*`.
 */
export class CountingInvalidator implements Invalidator {
  calls = 0;
  paths = 0;
  billedPaths = 0;
  async invalidate(paths: readonly string[]): Promise<void> {
    this.calls++;
    this.paths += paths.length;
    this.billedPaths += paths.length > 5 ? 1 : paths.length;
  }
  reset(): void { this.calls = 0; this.paths = 0; this.billedPaths = 0; }
}
