import type { DynamoDBStreamEvent } from "aws-lambda";
import { ALL_FEEDS, mergeChanges, type Change } from "../app/change.js";
import { feedKeyOfPk, PK, TABLE_KEYS } from "../contracts/table.js";

/**
 * What the table's stream says changed, as the app's `Change`. On AWS the publish
 * handler reads this; locally ingest returns the same records (dynalite has no streams).
 */

/**
 * From the keys of changed items: a feed index item changes that feed (and that entry,
 * so only the archive page holding it is rebuilt); a site or author item changes every
 * feed; anything else nothing.
 */
export function changeFromStreamKeys(keys: Iterable<{ pk: string; sk: string }>): Change {
  const changes: Change[] = [];
  for (const { pk, sk } of keys) {
    const feed = feedKeyOfPk(pk);
    if (feed !== undefined) changes.push({ all: false, feeds: [feed], entries: [{ feed, sk }] });
    else if (pk === PK.site || pk === PK.author) changes.push(ALL_FEEDS);
  }
  return mergeChanges(changes);
}

export function changeFromStream(event: DynamoDBStreamEvent): Change {
  return changeFromStreamKeys(event.Records.map((r) => ({
    pk: r.dynamodb?.Keys?.[TABLE_KEYS.partitionKey]?.S ?? "",
    sk: r.dynamodb?.Keys?.[TABLE_KEYS.sortKey]?.S ?? "",
  })));
}
