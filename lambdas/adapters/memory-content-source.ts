import type { ContentSource } from "../core/ports.js";

/**
 * `ContentSource` in memory: the content bucket as it is now. Keys are exact strings,
 * not Unicode-normalised, as in S3 (an NFC and an NFD name are two files).
 */
export class MemoryContentSource implements ContentSource {
  private readonly files = new Map<string, { body: Uint8Array; seq: string }>();
  private writes = 0;

  /** Stores (or replaces) a file; `seq` defaults to a counter that rises with each write. */
  put(key: string, body: string | Uint8Array, seq?: string): void {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : new Uint8Array(body);
    this.files.set(key, { body: bytes, seq: seq ?? (++this.writes).toString(16) });
  }

  delete(key: string): void {
    this.files.delete(key);
  }

  /** Every key, sorted. */
  keys(): string[] {
    return [...this.files.keys()].sort();
  }

  async read(key: string): Promise<{ body: Uint8Array; seq: string } | undefined> {
    const f = this.files.get(key);
    return f ? { body: new Uint8Array(f.body), seq: f.seq } : undefined;
  }

  async *list(prefix: string): AsyncIterable<string> {
    for (const key of this.keys()) if (key.startsWith(prefix)) yield key;
  }

  async exists(key: string): Promise<boolean> {
    return this.files.has(key);
  }
}
