import type { ArchivePage, FeedLayout } from "../core/archive.js";
import { compareUtf8 } from "../core/claims.js";
import type { LeaseState, PagesAround, PublishLedger, RebuildCursor } from "../core/ports.js";

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
  readonly feedLayouts: readonly (readonly [string, FeedLayout])[];
  readonly pages: readonly (readonly [string, readonly (readonly [string, number])[]])[];
  readonly cursor?: RebuildCursor;
}

export const PUBLISH_LEDGER_STATE_VERSION = 2;

export class MemoryPublishLedger implements PublishLedger {
  private lease?: { owner: string; untilMs: number };
  private readonly pending = new Set<string>();
  private last?: string;
  private readonly feedLayouts = new Map<string, FeedLayout>();
  private readonly pages = new Map<string, Map<string, number>>();
  private cursor?: RebuildCursor;

  /** The ledger as plain data (a copy). */
  snapshot(): PublishLedgerState {
    return {
      version: PUBLISH_LEDGER_STATE_VERSION,
      ...(this.lease ? { lease: { ...this.lease } } : {}),
      pending: [...this.pending],
      ...(this.last !== undefined ? { last: this.last } : {}),
      feedLayouts: [...this.feedLayouts].map(([f, l]) => [f, { ...l }] as const),
      pages: [...this.pages].map(([f, m]) => [f, [...m]] as const),
      ...(this.cursor ? { cursor: { ...this.cursor } } : {}),
    };
  }

  /** A ledger holding `state` (from `snapshot()`, possibly through `v8.serialize`/`deserialize`). */
  static restore(state: PublishLedgerState): MemoryPublishLedger {
    if (state?.version !== PUBLISH_LEDGER_STATE_VERSION) throw new Error(`MemoryPublishLedger.restore: state version ${String(state?.version)}, expected ${PUBLISH_LEDGER_STATE_VERSION}`);
    const ledger = new MemoryPublishLedger();
    if (state.lease) ledger.lease = { owner: state.lease.owner, untilMs: state.lease.untilMs };
    for (const p of state.pending) ledger.pending.add(p);
    if (state.last !== undefined) ledger.last = state.last;
    for (const [f, l] of state.feedLayouts) ledger.feedLayouts.set(f, { ...l });
    for (const [f, pages] of state.pages) ledger.pages.set(f, new Map(pages));
    if (state.cursor) ledger.cursor = { ...state.cursor };
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

  async layouts(feeds: readonly string[]): Promise<Map<string, FeedLayout>> {
    return new Map(feeds.flatMap((f) => (this.feedLayouts.has(f) ? [[f, { ...this.feedLayouts.get(f)! }] as [string, FeedLayout]] : [])));
  }

  async archivePages(feed: string, around?: PagesAround): Promise<ArchivePage[]> {
    const all = [...(this.pages.get(feed) ?? new Map<string, number>())].map(([lo, id]) => ({ lo, id })).sort((a, b) => compareUtf8(a.lo, b.lo));
    if (!around) return all;
    // The last page whose lower key is at or below `sk` (none when `sk` is below every page).
    let at = -1;
    all.forEach((p, i) => {
      if (compareUtf8(p.lo, around.sk) <= 0) at = i;
    });
    return all.slice(Math.max(0, at - around.older), at + 1 + around.newer);
  }

  async saveLayout(feed: string, layout: FeedLayout, put: readonly ArchivePage[], removed: readonly string[]): Promise<void> {
    const pages = this.pages.get(feed) ?? new Map<string, number>();
    for (const lo of removed) pages.delete(lo);
    for (const p of put) pages.set(p.lo, p.id);
    this.pages.set(feed, pages);
    this.feedLayouts.set(feed, { ...layout });
  }

  async rebuildCursor(): Promise<RebuildCursor | undefined> {
    return this.cursor ? { ...this.cursor } : undefined;
  }

  async setRebuildCursor(cursor: RebuildCursor | undefined): Promise<void> {
    this.cursor = cursor ? { ...cursor } : undefined;
  }

  /** Who holds the lease now, if anyone (tests check that a publish let go). */
  get holder(): string | undefined {
    return this.lease?.owner;
  }
}
