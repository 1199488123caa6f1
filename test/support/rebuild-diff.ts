import { MemorySite } from "../../lambdas/adapters/memory-site.js";
import { publish } from "../../lambdas/app/publish.js";
import type { AwsHarness } from "./aws-harness.js";
import { layoutCopy } from "./layout-copy.js";

/** How the site bucket differs from a full rebuild from the table; every list empty when they are equal. */
export interface RebuildDiff {
  /** Objects in the site bucket that the rebuild does not write. */
  readonly onlySite: string[];
  /** Files the rebuild writes that the site bucket lacks. */
  readonly onlyRebuild: string[];
  /** Objects whose bytes differ from the rebuild's. */
  readonly differing: string[];
  /** Dirty marks still in the table (a converged site has none). */
  readonly marksLeft: number;
  /** Objects compared. */
  readonly files: number;
}

/**
 * The site bucket against what a full rebuild from the same table writes at the same
 * `now` (into memory). The rebuild reads the table but leaves its marks and state alone:
 * it clears no mark and starts from a copy of the archive layouts (state in the table,
 * like the articles). Shared by the convergence tests and the migration bench.
 */
export async function rebuildDiff(harness: AwsHarness, now: Date): Promise<RebuildDiff> {
  const rebuilt = new MemorySite();
  const readOnly = new Proxy(harness.store, {
    get: (t, p) => (p === "clearDirty" ? async () => undefined : (Reflect.get(t, p) as (...a: unknown[]) => unknown).bind(t)),
  });
  await publish({ store: readOnly, ledger: await layoutCopy(harness.ledger, harness.store), writer: rebuilt }, now, { everything: true });
  const keys = await harness.siteKeys();
  const rebuiltPaths = new Set(rebuilt.paths());
  const onSite = new Set(keys);
  const differing: string[] = [];
  for (const key of keys) if (rebuiltPaths.has(key) && (await harness.siteText(key)) !== rebuilt.read(key)!.body) differing.push(key);
  return {
    onlySite: keys.filter((k) => !rebuiltPaths.has(k)),
    onlyRebuild: [...rebuiltPaths].filter((k) => !onSite.has(k)),
    differing,
    marksLeft: (await harness.store.dirtyMarks()).length,
    files: keys.length,
  };
}
