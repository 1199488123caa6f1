import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type { SiteFile, SiteWriter } from "../core/ports.js";

/** `SiteWriter` on a local folder (`dist/`). Files are replaced atomically (write, then rename). */
export class DirectorySite implements SiteWriter {
  private readonly root: string;

  constructor(root: string) {
    if (!root) throw new Error("DirectorySite: root is required");
    this.root = resolve(root);
  }

  private pathOf(path: string): string {
    const full = resolve(join(this.root, path));
    if (!full.startsWith(this.root + sep)) throw new Error(`DirectorySite: path escapes the site root: ${path}`);
    return full;
  }

  async hashes(paths: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    await Promise.all(paths.map(async (p) => {
      try {
        out.set(p, createHash("sha256").update(await readFile(this.pathOf(p))).digest("hex"));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    }));
    return out;
  }

  async write(file: SiteFile): Promise<void> {
    const full = this.pathOf(file.path);
    await mkdir(dirname(full), { recursive: true });
    const tmp = `${full}.${process.pid}.tmp`;
    await writeFile(tmp, file.body);
    await rename(tmp, full);
  }

  async remove(path: string): Promise<void> {
    await rm(this.pathOf(path), { force: true });
  }
}
