import { PUBLISH_TRIGGER_PREFIXES } from "../adapters/table-schema.js";

/**
 * Which feeds must be rebuilt. Ingest returns one per file locally; on AWS the publish
 * handler derives the same thing from the table's stream (`changeFromStreamKeys`).
 */
export interface Change {
  /** Site settings or an author changed: every feed. */
  readonly all: boolean;
  /** Feed keys (`site`, `category/<slug>`, `author/<slug>`). */
  readonly feeds: readonly string[];
}

export const NO_CHANGE: Change = { all: false, feeds: [] };
export const ALL_FEEDS: Change = { all: true, feeds: [] };

export function mergeChanges(changes: Iterable<Change>): Change {
  let all = false;
  const feeds = new Set<string>();
  for (const c of changes) {
    all ||= c.all;
    for (const f of c.feeds) feeds.add(f);
  }
  return { all, feeds: [...feeds].sort() };
}

export function isEmpty(change: Change): boolean {
  return !change.all && change.feeds.length === 0;
}

/**
 * From the partition keys of changed items: a feed index item (`FEED#<key>`) changes
 * that feed; a site or author item changes every feed; anything else nothing.
 */
export function changeFromStreamKeys(partitionKeys: Iterable<string>): Change {
  const changes: Change[] = [];
  for (const pk of partitionKeys) {
    if (pk.startsWith("FEED#")) changes.push({ all: false, feeds: [pk.slice("FEED#".length)] });
    else if (pk === "SITE" || pk === "AUTHOR") changes.push(ALL_FEEDS);
  }
  return mergeChanges(changes);
}

export { PUBLISH_TRIGGER_PREFIXES };
