import { MemoryPublishLedger } from "../../lambdas/adapters/memory-publish-ledger.js";
import { feedKey } from "../../lambdas/core/feeds.js";
import type { ContentStore, PublishLedger } from "../../lambdas/core/ports.js";

/**
 * A fresh ledger holding only the archive layouts of `ledger`: a full rebuild with it
 * renders what the table says (the layout is state in the table, like the articles),
 * without touching the real ledger's lease, pending paths or cursor.
 */
export async function layoutCopy(ledger: PublishLedger, store: ContentStore): Promise<MemoryPublishLedger> {
  const copy = new MemoryPublishLedger();
  const keys = [...new Set(["site", ...(await store.listFeeds()).map(feedKey)])];
  for (const [k, layout] of await ledger.layouts(keys)) await copy.saveLayout(k, layout, await ledger.archivePages(k), []);
  return copy;
}
