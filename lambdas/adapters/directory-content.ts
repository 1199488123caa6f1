import type { Dirent } from "node:fs";
import { open, readdir, stat, type FileHandle } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { ContentSource, SourceFile } from "../core/ports.js";

/** `ContentSource` on the local `content/` folder; the ordering stamp is the mtime in nanoseconds. */
export class DirectoryContent implements ContentSource {
  constructor(private readonly root: string) {
    if (!root) throw new Error("DirectoryContent: root is required");
  }

  async read(key: string, maxBytes = Number.MAX_SAFE_INTEGER): Promise<SourceFile | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(join(this.root, key), "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    try {
      // Stat the open file, then read at most `maxBytes` of it: a 100 MB file costs a stat.
      const st = await handle.stat({ bigint: true });
      const size = Number(st.size);
      const length = Math.min(size, maxBytes);
      const body = new Uint8Array(length);
      let read = 0;
      while (read < length) {
        const { bytesRead } = await handle.read(body, read, length - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return { body: read === length ? body : body.subarray(0, read), seq: st.mtimeNs.toString(16), size };
    } finally {
      await handle.close();
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    for (const e of entries) {
      if (!e.isFile()) continue;
      const key = relative(this.root, join(e.parentPath, e.name)).split(sep).join("/");
      if (key.startsWith(prefix)) yield key;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(join(this.root, key));
      return true;
    } catch {
      return false;
    }
  }
}
