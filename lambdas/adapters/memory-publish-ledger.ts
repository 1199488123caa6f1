import type { LeaseState, PublishLedger } from "../core/ports.js";

/**
 * `PublishLedger` in memory, with the DynamoDB ledger's semantics: a lease is free when
 * absent or strictly past its expiry; only its owner renews it (even after it expired,
 * as long as nobody else took it) or releases it; pending paths are a set, read sorted.
 */
/** Everything a `MemoryPublishLedger` holds, as plain data: what `snapshot()` gives and `restore()` takes. */
export interface PublishLedgerState {
  readonly version: typeof PUBLISH_LEDGER_STATE_VERSION;
  readonly lease?: { readonly owner: string; readonly untilMs: number };
  readonly pending: readonly string[];
  readonly last?: string;
  readonly bounds: readonly (readonly [string, string])[];
}

export const PUBLISH_LEDGER_STATE_VERSION = 1;

export class MemoryPublishLedger implements PublishLedger {
  private lease?: { owner: string; untilMs: number };
  private readonly pending = new Set<string>();
  private last?: string;
  private readonly bounds = new Map<string, string>();

  /** The ledger as plain data (a copy). */
  snapshot(): PublishLedgerState {
    return {
      version: PUBLISH_LEDGER_STATE_VERSION,
      ...(this.lease ? { lease: { ...this.lease } } : {}),
      pending: [...this.pending],
      ...(this.last !== undefined ? { last: this.last } : {}),
      bounds: [...this.bounds],
    };
  }

  /** A ledger holding `state` (from `snapshot()`, possibly through `v8.serialize`/`deserialize`). */
  static restore(state: PublishLedgerState): MemoryPublishLedger {
    if (state?.version !== PUBLISH_LEDGER_STATE_VERSION) throw new Error(`MemoryPublishLedger.restore: state version ${String(state?.version)}, expected ${PUBLISH_LEDGER_STATE_VERSION}`);
    const ledger = new MemoryPublishLedger();
    if (state.lease) ledger.lease = { owner: state.lease.owner, untilMs: state.lease.untilMs };
    for (const p of state.pending) ledger.pending.add(p);
    if (state.last !== undefined) ledger.last = state.last;
    for (const [f, sk] of state.bounds) ledger.bounds.set(f, sk);
    return ledger;
  }

  async tryLease(owner: string, nowMs: number, leaseMs: number): Promise<LeaseState> {
    const held = this.lease;
    if (held && held.untilMs >= nowMs && held.owner !== owner) return { acquired: false, holder: held.owner, expiresAtMs: held.untilMs };
    this.lease = { owner, untilMs: nowMs + leaseMs };
    return { acquired: true, holder: owner, expiresAtMs: this.lease.untilMs };
  }

  async renewLease(owner: string, nowMs: number, leaseMs: number): Promise<boolean> {
    if (this.lease?.owner !== owner) return false;
    this.lease = { owner, untilMs: nowMs + leaseMs };
    return true;
  }

  async releaseLease(owner: string): Promise<void> {
    if (this.lease?.owner === owner) this.lease = undefined;
  }

  async addPending(paths: readonly string[]): Promise<void> {
    for (const p of paths) this.pending.add(p);
  }

  async pendingPaths(): Promise<string[]> {
    return [...this.pending].sort();
  }

  async clearPending(paths: readonly string[]): Promise<void> {
    for (const p of paths) this.pending.delete(p);
  }

  async lastPublished(): Promise<string | undefined> {
    return this.last;
  }

  async setLastPublished(iso: string): Promise<void> {
    this.last = iso;
  }

  async boundaries(feeds: readonly string[]): Promise<Map<string, string>> {
    return new Map(feeds.flatMap((f) => (this.bounds.has(f) ? [[f, this.bounds.get(f)!] as [string, string]] : [])));
  }

  async setBoundary(feed: string, sk: string | undefined): Promise<void> {
    if (sk === undefined) this.bounds.delete(feed);
    else this.bounds.set(feed, sk);
  }

  /** Who holds the lease now, if anyone (tests check that a publish let go). */
  get holder(): string | undefined {
    return this.lease?.owner;
  }
}
