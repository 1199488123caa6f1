/**
 * Which feeds must be rebuilt. Ingest returns one per file locally; on AWS the publish
 * handler derives the same thing from the table's stream (`adapters/dynamodb-stream.ts`).
 */
export interface Change {
  /** Site settings or an author changed: every feed. */
  readonly all: boolean;
  /** Feed keys (`site`, `category/<slug>`, `author/<slug>`). */
  readonly feeds: readonly string[];
  /**
   * The feed index items that changed (`<published ISO>#<slug>` per feed), so that an
   * archive page is rebuilt only when an item in it changed. @default []
   */
  readonly entries?: readonly ChangedEntry[];
}

export interface ChangedEntry {
  readonly feed: string;
  readonly sk: string;
}

export const NO_CHANGE: Change = { all: false, feeds: [] };
export const ALL_FEEDS: Change = { all: true, feeds: [] };

export function mergeChanges(changes: Iterable<Change>): Change {
  let all = false;
  const feeds = new Set<string>();
  const entries = new Map<string, ChangedEntry>();
  for (const c of changes) {
    all ||= c.all;
    for (const f of c.feeds) feeds.add(f);
    for (const e of c.entries ?? []) entries.set(`${e.feed}\u0000${e.sk}`, e);
  }
  return { all, feeds: [...feeds].sort(), entries: [...entries.values()] };
}

export function isEmpty(change: Change): boolean {
  return !change.all && change.feeds.length === 0;
}
