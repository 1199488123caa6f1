import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ContentSource } from "../core/ports.js";

/** `ContentSource` on the local `content/` folder; the ordering stamp is the mtime in nanoseconds. */
export class DirectoryContent implements ContentSource {
  constructor(private readonly root: string) {
    if (!root) throw new Error("DirectoryContent: root is required");
  }

  async read(key: string): Promise<{ body: Uint8Array; seq: string } | undefined> {
    try {
      const path = join(this.root, key);
      const [body, st] = await Promise.all([readFile(path), stat(path, { bigint: true })]);
      return { body, seq: st.mtimeNs.toString(16) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
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
