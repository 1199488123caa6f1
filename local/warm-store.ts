import { randomUUID } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { deserialize, serialize } from "node:v8";
import { CONTENT_STORE_STATE_VERSION, type ContentStoreState } from "../lambdas/adapters/memory-content-store.js";
import { PUBLISH_LEDGER_STATE_VERSION, type PublishLedgerState } from "../lambdas/adapters/memory-publish-ledger.js";
import type { IngestOutcome, IngestResult } from "../lambdas/app/ingest.js";
import { sha256 } from "../lambdas/app/hash.js";
import type { Problem } from "../lambdas/core/model.js";

/**
 * The local store that outlives a run (warm start): one snapshot file (`state.v8`,
 * `v8.serialize`, written to a temporary file and renamed over the last one) holding the
 * memory store and ledger (`snapshot()`) and a manifest that says, per content file, the
 * metadata it had when it was last ingested (size, mtime, ctime, inode) and that
 * ingest's outcome and problems. A file whose metadata did not change is not read
 * again; its stored outcome is reported as if it had been. Store, ledger and manifest
 * are written together, so they always agree.
 *
 * One store per content folder and `baseUrl` override: a store built for
 * `http://localhost:8080` holds articles whose links were made absolute with that
 * address, and is never reused for another.
 *
 * The output folder gets a marker (`.feedpub-build`, a dot file: never served) holding a
 * random token that the manifest repeats. Only when both agree is the output folder
 * what the last run wrote, and publishing what the dirty marks say is enough; otherwise
 * (deleted, written by another store, written to another folder) everything is published.
 */

/** Bump when the snapshot's shape changes incompatibly: an older store is started over. */
export const STORE_LAYOUT_VERSION = 3;
export const DIST_MARKER = ".feedpub-build";
export const SNAPSHOT = "state.v8";
const STAT_CONCURRENCY = 64;

export interface FileMeta {
  readonly size: string;
  readonly mtimeNs: string;
  readonly ctimeNs: string;
  readonly ino: string;
}

interface Entry extends FileMeta {
  readonly outcome: IngestOutcome;
  readonly problems?: readonly Problem[];
  readonly draft?: boolean;
  readonly scheduledFor?: string;
}

interface Manifest {
  readonly version: number;
  readonly contentDir: string;
  readonly baseUrl: string | null;
  readonly lastSeq: string;
  readonly outDir?: string;
  readonly distToken?: string;
  readonly files: Record<string, Entry>;
}

/** What `state.v8` holds. */
interface Snapshot extends Manifest {
  readonly store: ContentStoreState;
  readonly ledger: PublishLedgerState;
}

/** The stores to save with the manifest. */
export interface StoreStates {
  readonly store: ContentStoreState;
  readonly ledger: PublishLedgerState;
}

/** Where the store of this content folder and `baseUrl` override lives under `root` (e.g. `.feedpub/store`). */
export function storeDirFor(root: string, contentDir: string, baseUrl: string | undefined): string {
  return join(root, sha256(`${resolve(contentDir)}\n${baseUrl ?? ""}`).slice(0, 16));
}

export async function statMeta(contentDir: string, key: string): Promise<FileMeta | undefined> {
  try {
    const st = await stat(join(contentDir, key), { bigint: true });
    if (!st.isFile()) return undefined;
    return { size: st.size.toString(), mtimeNs: st.mtimeNs.toString(), ctimeNs: st.ctimeNs.toString(), ino: st.ino.toString() };
  } catch {
    return undefined;
  }
}

/** Metadata of each key (a file gone since it was listed is left out); about 1 s per 100,000 files. */
export async function scanMeta(contentDir: string, keys: readonly string[]): Promise<Map<string, FileMeta>> {
  const out = new Map<string, FileMeta>();
  let next = 0;
  await Promise.all(Array.from({ length: STAT_CONCURRENCY }, async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      const meta = await statMeta(contentDir, key);
      if (meta) out.set(key, meta);
    }
  }));
  return out;
}

const sameMeta = (a: FileMeta, b: FileMeta) => a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;

/** The store is open in another live process (LevelDB allows one). */
export class StoreInUseError extends Error {
  override readonly name = "StoreInUseError";
}

/** True when process `pid` is running. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes `<dir>.lock` (the process id, created exclusively); a lock whose process is gone
 * is taken over. Returns the release function.
 */
async function lock(dir: string): Promise<() => Promise<void>> {
  const path = `${dir}.lock`;
  await mkdir(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: "wx" });
      return () => unlink(path).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number(await readFile(path, "utf8").catch(() => ""));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new StoreInUseError(`the store in ${dir} is in use by another feedpub process (pid ${owner}, a build or serve of the same folder); stop it first`);
      }
      if (owner === process.pid) throw new StoreInUseError(`the store in ${dir} is already open in this process`);
      await unlink(path).catch(() => undefined);
    }
  }
  throw new StoreInUseError(`could not take the lock ${path}`);
}

export class WarmStore {
  private files: Record<string, Entry>;
  private dirty = false;
  /** The last run's manifest (without its files); undefined: a cold start (an empty store). */
  readonly previous: Omit<Manifest, "files"> | undefined;
  private states: StoreStates | undefined;
  /** The output folder and marker token of the last save (or of the last run). */
  private written: { outDir?: string; distToken?: string };

  private constructor(
    readonly dir: string,
    private readonly contentDir: string,
    private readonly baseUrl: string | undefined,
    previousSnapshot: Snapshot | undefined,
    /** Releases the store's lock. */
    readonly release: () => Promise<void>,
  ) {
    const { store, ledger, files, ...manifest } = previousSnapshot ?? ({} as Partial<Snapshot>);
    this.previous = previousSnapshot ? (manifest as Omit<Manifest, "files">) : undefined;
    this.states = store && ledger ? { store, ledger } : undefined;
    this.files = files ?? {};
    const previous = this.previous;
    this.written = { ...(previous?.outDir ? { outDir: previous.outDir } : {}), ...(previous?.distToken ? { distToken: previous.distToken } : {}) };
  }

  /**
   * Opens (or starts) the store in `dir`. `fresh`, an older layout, another folder's
   * store, or a store without a manifest (a first build that did not finish) start over;
   * `notice` says why.
   */
  static async open(dir: string, opts: { contentDir: string; baseUrl?: string; fresh?: boolean }): Promise<{ store: WarmStore; notice?: string }> {
    const contentDir = resolve(opts.contentDir);
    const release = await lock(dir);
    try {
      return await WarmStore.openLocked(dir, contentDir, opts, release);
    } catch (err) {
      await release();
      throw err;
    }
  }

  private static async openLocked(dir: string, contentDir: string, opts: { baseUrl?: string; fresh?: boolean }, release: () => Promise<void>): Promise<{ store: WarmStore; notice?: string }> {
    let notice: string | undefined;
    let previous: Snapshot | undefined;
    if (opts.fresh) {
      notice = "--fresh: starting over with an empty store";
    } else {
      const bytes = await readFile(join(dir, SNAPSHOT)).catch(() => undefined);
      if (bytes !== undefined) {
        let m: Snapshot | undefined;
        try {
          m = deserialize(bytes) as Snapshot;
          if (typeof m !== "object" || m === null) throw new Error("not an object");
        } catch {
          notice = `the store in ${dir} is unreadable (${SNAPSHOT}): starting over`;
          m = undefined;
        }
        if (m && (m.version !== STORE_LAYOUT_VERSION || m.store?.version !== CONTENT_STORE_STATE_VERSION || m.ledger?.version !== PUBLISH_LEDGER_STATE_VERSION)) {
          notice = `the store in ${dir} is from another feedpub version (layout ${String(m.version)}, this one uses ${STORE_LAYOUT_VERSION}): starting over`;
        } else if (m && (m.contentDir !== contentDir || m.baseUrl !== (opts.baseUrl ?? null))) {
          notice = `the store in ${dir} belongs to another content folder or base URL: starting over`;
        } else if (m) {
          previous = m;
        }
      } else if (await stat(dir).then(() => true, () => false)) {
        notice = `the store in ${dir} has no snapshot (a first build that did not finish, or an older feedpub): starting over`;
      }
    }
    if (!previous) await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return { store: new WarmStore(dir, contentDir, opts.baseUrl, previous, release), ...(notice ? { notice } : {}) };
  }

  /**
   * The store and ledger of the last run (to `restore()`), handed over once: the warm
   * store keeps no reference to them afterwards.
   */
  takeStates(): StoreStates | undefined {
    const p = this.states;
    this.states = undefined;
    return p;
  }

  /** True when `meta` is what the file had when it was last ingested. */
  unchanged(key: string, meta: FileMeta): boolean {
    const e = this.files[key];
    return e !== undefined && sameMeta(e, meta);
  }

  /** Keys ingested before that are not in `present` (deleted since). */
  gone(present: ReadonlyMap<string, unknown>): string[] {
    return Object.keys(this.files).filter((k) => !present.has(k)).sort();
  }

  /** Results of the last ingest of each of `keys`, as stored. */
  storedResults(keys: readonly string[]): IngestResult[] {
    return keys.flatMap((key) => {
      const e = this.files[key];
      if (!e) return [];
      return [{ key, outcome: e.outcome, problems: e.problems ?? [], ...(e.draft ? { draft: true } : {}), ...(e.scheduledFor ? { scheduledFor: e.scheduledFor } : {}) }];
    });
  }

  /** A file's metadata (taken before it was read) and its outcome; `meta` undefined: the file is gone. */
  record(key: string, meta: FileMeta | undefined, r?: IngestResult): void {
    this.dirty = true;
    if (!meta) {
      delete this.files[key];
      return;
    }
    const outcome = r?.outcome ?? this.files[key]?.outcome ?? "unchanged";
    this.files[key] = {
      ...meta, outcome,
      ...(r?.problems.length ? { problems: r.problems } : {}),
      ...(r?.draft ? { draft: true } : {}),
      ...(r?.scheduledFor ? { scheduledFor: r.scheduledFor } : {}),
    };
  }

  /** Another file's ingest settled this one (a held file released): keep its metadata, replace its outcome. */
  settle(r: IngestResult): void {
    const e = this.files[r.key];
    if (e && (e.outcome !== r.outcome || (e.problems?.length ?? 0) !== r.problems.length)) this.record(r.key, e, r);
  }

  /** The output folder is what this store's last run wrote (its marker matches). */
  async outputIsCurrent(outDir: string): Promise<boolean> {
    const token = this.written.distToken;
    if (!token || this.written.outDir !== resolve(outDir)) return false;
    const marker = await readFile(join(outDir, DIST_MARKER), "utf8").catch(() => undefined);
    return marker?.trim() === token;
  }

  /**
   * Writes the snapshot: the manifest and `states` (after a run succeeded). When `outDir`
   * was fully published by this store, a new marker goes into it first, then into the
   * snapshot; a crash in between leaves them disagreeing, which only costs a full publish
   * next time. The snapshot goes to a temporary file, flushed, then renamed over the old
   * one: a crash leaves the old snapshot or the new one, never half of one.
   */
  async save(lastSeq: string, outDir: string | undefined, states: StoreStates): Promise<void> {
    let distToken: string | undefined;
    if (outDir && (await this.outputIsCurrent(outDir))) {
      distToken = this.written.distToken; // unchanged: dist/ is left alone
    } else if (outDir) {
      distToken = randomUUID();
      await mkdir(outDir, { recursive: true });
      await writeFile(join(outDir, DIST_MARKER), `${distToken}\n`);
    }
    const m: Snapshot = {
      version: STORE_LAYOUT_VERSION, contentDir: this.contentDir, baseUrl: this.baseUrl ?? null, lastSeq,
      ...(outDir && distToken ? { outDir: resolve(outDir), distToken } : {}),
      files: this.files, store: states.store, ledger: states.ledger,
    };
    const tmp = join(this.dir, `${SNAPSHOT}.${process.pid}.tmp`);
    const file = await open(tmp, "w");
    try {
      await file.writeFile(serialize(m));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, join(this.dir, SNAPSHOT));
    this.written = { ...(m.outDir ? { outDir: m.outDir } : {}), ...(m.distToken ? { distToken: m.distToken } : {}) };
    this.dirty = false;
  }

  /** Something changed since the last save (a file ingested, or marked by `touch()`). */
  get changedSinceSave(): boolean {
    return this.dirty;
  }

  /** The store changed without a file changing (a scheduled article published): save next time. */
  touch(): void {
    this.dirty = true;
  }
}
