import type { SiteFile, SiteWriter } from "../core/ports.js";

export interface MemorySiteOptions {
  /**
   * Keep each file's body and headers, so tests can read them back. The bench turns it
   * off: its archives render gigabytes, and S3 would hold them outside the process.
   * @default true
   */
  readonly keepBodies?: boolean;
}

/** A file whose body is text: every document publish renders (all but static assets). */
export type TextSiteFile = SiteFile & { readonly body: string };

/** `SiteWriter` in memory: the hash written with each path, and the file itself to read back. */
export class MemorySite implements SiteWriter {
  private readonly files = new Map<string, { hash: string; file?: SiteFile }>();
  private readonly keepBodies: boolean;

  constructor(options: MemorySiteOptions = {}) {
    this.keepBodies = options.keepBodies ?? true;
  }

  async hashes(paths: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const p of paths) {
      const stored = this.files.get(p);
      if (stored) out.set(p, stored.hash);
    }
    return out;
  }

  async write(file: SiteFile, hash: string): Promise<void> {
    this.files.set(file.path, { hash, ...(this.keepBodies ? { file: { ...file } } : {}) });
  }

  async remove(path: string): Promise<void> {
    this.files.delete(path);
  }

  /**
   * The document as written at `path` (undefined if absent, or if bodies are not kept).
   * Text only, so callers parse it as it is; a static asset (bytes) throws: `readBytes`.
   */
  read(path: string): TextSiteFile | undefined {
    const file = this.files.get(path)?.file;
    if (!file) return undefined;
    if (typeof file.body !== "string") throw new TypeError(`MemorySite.read: ${path} holds bytes, not text: use readBytes`);
    return { ...file, body: file.body };
  }

  /** Any file as written at `path`, its body text or bytes. */
  readFile(path: string): SiteFile | undefined {
    const file = this.files.get(path)?.file;
    return file ? { ...file } : undefined;
  }

  /** Any file's bytes as written at `path` (text as UTF-8). */
  readBytes(path: string): Uint8Array | undefined {
    const body = this.files.get(path)?.file?.body;
    if (body === undefined) return undefined;
    return typeof body === "string" ? new TextEncoder().encode(body) : new Uint8Array(body);
  }

  /** Every path written, sorted. */
  paths(): string[] {
    return [...this.files.keys()].sort();
  }

  get size(): number {
    return this.files.size;
  }
}
