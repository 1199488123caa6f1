import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Parsed } from "../lambdas/core/content/index.js";
import type { Article, Site } from "../lambdas/core/model.js";

/**
 * Worker threads that parse articles (`parseArticleBytes`, the parse ingest runs): the
 * local bulk build sends each file's bytes here ahead of the ingest loop, so parsing runs
 * on the other cores while the main thread ingests. Each job goes to the worker with the
 * fewest jobs in flight.
 */

export interface ParseRequest {
  readonly id: number;
  readonly key: string;
  readonly body: Uint8Array;
  readonly site: Site;
  readonly nowMs: number;
}

export type ParseResponse =
  | { readonly id: number; readonly result: Parsed<Article>; readonly error?: undefined }
  | { readonly id: number; readonly error: string; readonly result?: undefined };

/** As many workers as the machine runs threads at once (at least 1). */
export const defaultWorkers = (): number => Math.max(1, availableParallelism());

interface Slot {
  readonly worker: Worker;
  inFlight: number;
}

export class ParsePool {
  private readonly slots: Slot[];
  private readonly waiting = new Map<number, { resolve: (r: Parsed<Article>) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`ParsePool: size must be a whole number from 1, got ${size}`);
    this.slots = Array.from({ length: size }, () => {
      const worker = new Worker(new URL("./parse-worker.mjs", import.meta.url));
      const slot: Slot = { worker, inFlight: 0 };
      worker.on("message", (res: ParseResponse) => {
        slot.inFlight--;
        const w = this.waiting.get(res.id);
        this.waiting.delete(res.id);
        if (!w) return;
        if (res.error !== undefined) w.reject(new Error(res.error));
        else w.resolve(res.result);
      });
      worker.on("error", (err) => this.fail(err));
      worker.on("exit", (code) => { if (code !== 0) this.fail(new Error(`a parse worker exited with code ${code}`)); });
      return slot;
    });
  }

  get size(): number {
    return this.slots.length;
  }

  /** Parses in a worker; the bytes are copied to it (the caller keeps its own). */
  parse(key: string, body: Uint8Array, site: Site, nowMs: number): Promise<Parsed<Article>> {
    if (this.failure) return Promise.reject(this.failure);
    const slot = this.slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.nextId++;
    slot.inFlight++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      slot.worker.postMessage({ id, key, body, site, nowMs } satisfies ParseRequest);
    });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  async close(): Promise<void> {
    this.failure ??= new Error("ParsePool: closed");
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
