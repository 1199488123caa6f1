import { randomUUID } from "node:crypto";
import { constants, readFileSync } from "node:fs";
import { lstat, mkdir, open, readFile, realpath, rename, unlink } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { sha256 } from "../app/hash.js";
import { cacheControlFor, contentTypeFor } from "../core/site-files.js";
import type { SiteFile, SiteWriter } from "../core/ports.js";

/**
 * `SiteWriter` on a local folder (`dist/`). Files are replaced atomically (write, then
 * rename). Each file's headers (Content-Type, Cache-Control) go to a sidecar under
 * `.headers/`, which the local server reads, so it answers what S3 would: archive pages
 * are immutable there too. The server ignores dot folders, so sidecars are never served.
 *
 * Nothing is ever written outside the folder: every path segment is checked to be a
 * real directory, not a symbolic link, and files are created with `O_NOFOLLOW | O_EXCL`
 * under a random name, then renamed over the target (rename replaces a link itself,
 * never what it points to). This guards against links planted in the folder; it does
 * not stop another local user racing the writer to swap a checked folder for a link.
 */

/** Folder of the header sidecars, relative to the site root. */
export const HEADERS_DIR = ".headers";

export interface FileHeaders {
  readonly contentType: string;
  readonly cacheControl: string;
}

/** A site path refused because it would leave the folder or follow a link. */
export class UnsafeSitePathError extends Error {
  override readonly name = "UnsafeSitePathError";
  constructor(readonly path: string, reason: string) {
    super(`DirectorySite: refusing to write ${JSON.stringify(path)}: ${reason}`);
  }
}

const sidecarOf = (path: string) => `${HEADERS_DIR}/${path}.headers`;

/**
 * The headers stored with a file of the folder at `root` (absolute `file` path, as the
 * local server has it). Without a sidecar (a file put there by hand): guessed from the
 * name, with the short cache of current feeds.
 */
export function readFileHeaders(root: string, file: string): FileHeaders {
  const path = relative(root, file).split(sep).join("/");
  try {
    const stored = JSON.parse(readFileSync(join(root, sidecarOf(path)), "utf8")) as Partial<FileHeaders>;
    if (typeof stored.contentType === "string" && typeof stored.cacheControl === "string") {
      return { contentType: stored.contentType, cacheControl: stored.cacheControl };
    }
  } catch {
    // No sidecar, or an unreadable one: fall back to the defaults below.
  }
  return { contentType: contentTypeFor(path), cacheControl: cacheControlFor(path) };
}

export class DirectorySite implements SiteWriter {
  private realRoot?: Promise<string>;

  constructor(private readonly root: string) {
    if (!root) throw new Error("DirectorySite: root is required");
  }

  async hashes(paths: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    await Promise.all(paths.map(async (p) => {
      const full = await this.resolve(checkSitePath(p), false);
      // A link where a file should be is not this site's file: report it absent, so it is replaced.
      if (!full || !(await isRegularFile(full))) return;
      out.set(p, sha256(await readFile(full)));
    }));
    return out;
  }

  async write(file: SiteFile): Promise<void> {
    const headers: FileHeaders = { contentType: file.contentType, cacheControl: file.cacheControl };
    // Headers first: a file whose bytes are current always has its current headers.
    await this.replace(sidecarOf(checkSitePath(file.path)), `${JSON.stringify(headers)}\n`);
    await this.replace(file.path, file.body);
  }

  /** Removes a file and its headers; a link where the file should be is left alone (never followed). */
  async remove(path: string): Promise<void> {
    for (const p of [checkSitePath(path), sidecarOf(path)]) {
      const full = await this.resolve(p, false);
      if (full && (await isRegularFile(full))) await unlink(full);
    }
  }

  private async replace(path: string, body: string | Uint8Array): Promise<void> {
    const full = (await this.resolve(path, true))!;
    const tmp = `${full}.${randomUUID()}.tmp`;
    const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      await handle.writeFile(body);
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, full);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  /**
   * The absolute path of a site path, after checking that each folder on the way is a
   * real folder inside the root (creating missing ones when `create`). Undefined when a
   * folder is missing, or, when only reading, is a link (never read through one).
   */
  private async resolve(path: string, create: boolean): Promise<string | undefined> {
    const segments = path.split("/");
    let dir = await this.rootDir(create);
    if (!dir) return undefined;
    for (const segment of segments.slice(0, -1)) {
      dir = join(dir, segment);
      const kind = await kindOf(dir);
      if (kind === "missing") {
        if (!create) return undefined;
        await mkdir(dir).catch((err: NodeJS.ErrnoException) => { if (err.code !== "EEXIST") throw err; });
        if ((await kindOf(dir)) !== "directory") throw new UnsafeSitePathError(path, `${segment} was replaced while creating it`);
      } else if (kind !== "directory") {
        if (!create) return undefined;
        throw new UnsafeSitePathError(path, `${relative(await this.rootDir(false) ?? "", dir)} is ${kind === "link" ? "a symbolic link" : "not a folder"}`);
      }
    }
    return join(dir, segments[segments.length - 1]!);
  }

  /** The root's real path (the root itself may be a link, e.g. a temp folder); created on the first write. */
  private async rootDir(create: boolean): Promise<string | undefined> {
    if (!this.realRoot) {
      if (!create && (await kindOf(this.root)) === "missing") return undefined;
      this.realRoot = mkdir(this.root, { recursive: true }).then(() => realpath(this.root));
      this.realRoot.catch(() => { this.realRoot = undefined; });
    }
    return this.realRoot;
  }
}

/** A site path is plain and relative, and stays out of the sidecar folder. */
function checkSitePath(path: string): string {
  const segments = path.split("/");
  if (segments.some((s) => s === "" || s === "." || s === ".." || s.includes("\\") || s.includes("\0"))) {
    throw new UnsafeSitePathError(path, "not a plain relative path");
  }
  if (segments[0] === HEADERS_DIR) throw new UnsafeSitePathError(path, `${HEADERS_DIR}/ holds the header sidecars`);
  return path;
}

async function kindOf(path: string): Promise<"missing" | "link" | "directory" | "other"> {
  try {
    const st = await lstat(path);
    return st.isSymbolicLink() ? "link" : st.isDirectory() ? "directory" : "other";
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw err;
  }
}

async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
