import { randomUUID } from "node:crypto";
import { LeaseBusyError, LeaseLostError } from "../core/errors.js";
import type { PublishLedger } from "../core/ports.js";

/**
 * The publish lease: one publisher renders and writes at a time, and it reads the store
 * only after taking the lease, so whatever it writes is at least as new as anything
 * written before it. Without this, a publisher that read the index, then stalled, could
 * write its older feed over a newer one.
 *
 * Before each write the holder renews the lease once less than `renewBelowMs` is left.
 * Renewal is conditional on still being the owner, so a holder that stalled past its
 * lease, and was replaced, stops before its next write (`LeaseLostError`) instead of
 * writing older data over newer. A holder that dies keeps others out for `leaseMs` at
 * most. What is left uncovered: one write that takes longer than `renewBelowMs` (40 s by
 * default; a PUT of a feed file takes milliseconds).
 */

export interface LeaseOptions {
  /** How long a lease lasts without renewal. @default 60 s */
  readonly leaseMs?: number;
  /** Renew when less than this is left. @default 2/3 of `leaseMs` */
  readonly renewBelowMs?: number;
  /** How long to wait for another holder before giving up (`LeaseBusyError`). @default 90 s */
  readonly maxWaitMs?: number;
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Names this publisher in the lease item and in errors. @default a random UUID */
  readonly owner?: string;
}

export const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_MAX_WAIT_MS = 90_000;

export class PublishLease {
  private expiresAtMs: number;

  private constructor(
    private readonly ledger: PublishLedger,
    readonly owner: string,
    expiresAtMs: number,
    private readonly options: Required<Pick<LeaseOptions, "leaseMs" | "renewBelowMs" | "clock">>,
    /** How long `acquire` waited for another holder (0 when the lease was free). */
    readonly waitedMs: number,
  ) {
    this.expiresAtMs = expiresAtMs;
  }

  /** Waits (with backoff) until the lease is free, expired or ours, then takes it. */
  static async acquire(ledger: PublishLedger, options: LeaseOptions = {}): Promise<PublishLease> {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const clock = options.clock ?? Date.now;
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const owner = options.owner ?? randomUUID();
    const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    const started = clock();
    for (let attempt = 0; ; attempt++) {
      const now = clock();
      const state = await ledger.tryLease(owner, now, leaseMs);
      if (state.acquired) {
        return new PublishLease(ledger, owner, state.expiresAtMs ?? now + leaseMs, {
          leaseMs,
          renewBelowMs: options.renewBelowMs ?? Math.round((leaseMs * 2) / 3),
          clock,
        }, now - started);
      }
      const waited = now - started;
      if (waited >= maxWaitMs) throw new LeaseBusyError(state.holder, waited);
      // Back off 50 ms, 100 ms, ... up to 2 s, never past the holder's expiry by much.
      const untilExpiry = state.expiresAtMs !== undefined ? Math.max(0, state.expiresAtMs - now) + 10 : Infinity;
      const backoff = Math.min(2000, 50 * 2 ** Math.min(attempt, 6));
      await sleep(Math.min(backoff * (0.75 + Math.random() / 2), untilExpiry, maxWaitMs - waited + 1));
    }
  }

  /** Call before each write: renews when due; throws `LeaseLostError` when no longer safe. */
  async check(): Promise<void> {
    const { clock, leaseMs, renewBelowMs } = this.options;
    const now = clock();
    if (this.expiresAtMs - now >= renewBelowMs) return;
    // Renewal is conditional on still being the owner: if it fails, the lease ran out and
    // another publisher took it, possibly with newer data. Stop writing.
    if (!(await this.ledger.renewLease(this.owner, now, leaseMs))) throw new LeaseLostError(this.owner);
    this.expiresAtMs = now + leaseMs;
  }

  /**
   * Runs `work` that makes no writes of its own but may take longer than the lease (the
   * wait for a CloudFront invalidation, hub pings), renewing the lease on a timer.
   * Throws `LeaseLostError` afterwards if a renewal failed.
   */
  async whileHeld<T>(work: () => Promise<T>): Promise<T> {
    let lost = false;
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing.then(async () => {
        if (lost) return;
        try {
          await this.check();
        } catch {
          lost = true;
        }
      });
    }, Math.max(10, Math.round((this.options.leaseMs - this.options.renewBelowMs) / 2)));
    timer.unref();
    try {
      return await work();
    } finally {
      clearInterval(timer);
      await renewing;
      // biome-ignore lint/correctness/noUnsafeFinally: on purpose: work done without the lease must not count as done, whatever it returned or threw (the caller retries it).
      if (lost) throw new LeaseLostError(this.owner);
      await this.check();
    }
  }

  async release(): Promise<void> {
    await this.ledger.releaseLease(this.owner);
  }
}
