import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { ContentSource, Invalidator, SiteFile, SiteWriter } from "../lambdas/core/ports.js";

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

/** The site bucket, in memory: remembers each path's hash, counts writes. */
export class CountingSiteWriter implements SiteWriter {
  readonly hashesByPath = new Map<string, string>();
  written = 0;
  bytesWritten = 0;
  hashLookups = 0;
  async hashes(paths: readonly string[]): Promise<Map<string, string>> {
    this.hashLookups += paths.length;
    const out = new Map<string, string>();
    for (const p of paths) {
      const h = this.hashesByPath.get(p);
      if (h !== undefined) out.set(p, h);
    }
    return out;
  }
  async write(file: SiteFile, hash: string): Promise<void> {
    this.hashesByPath.set(file.path, hash);
    this.written++;
    this.bytesWritten += Buffer.byteLength(file.body);
  }
  async remove(path: string): Promise<void> {
    this.hashesByPath.delete(path);
    this.written++;
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

/** The content bucket, in memory. */
export class MemoryContent implements ContentSource {
  private readonly files = new Map<string, { body: Uint8Array; seq: string }>();
  put(key: string, text: string, seq: string): void { this.files.set(key, { body: new TextEncoder().encode(text), seq }); }
  async read(key: string) { return this.files.get(key); }
  async exists(key: string) { return this.files.has(key); }
}
