import { describe, expect, it } from "vitest";
import { MemorySite } from "../../lambdas/adapters/memory-site.js";
import { publish, type PublishDeps } from "../../lambdas/app/publish.js";
import { handlePublishEvent } from "../../lambdas/publish.js";
import type { SiteFile, SiteWriter } from "../../lambdas/core/ports.js";
import { articleText } from "../support/builders.js";
import { AUTHOR_MD, memoryPipeline } from "../support/memory-pipeline.js";

/**
 * A full rebuild that does not fit in one run (issue 13): it stops between feeds when
 * time runs short, or dies anywhere (a Lambda killed at its timeout), and the next run
 * continues after the last feed it finished, until the site equals a rebuild.
 */

const NOW = new Date("2024-06-01T00:00:00Z");
const CATEGORIES = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"];

async function archive() {
  const p = memoryPipeline();
  await p.put("site.yaml", "title: Rebuild\nbaseUrl: https://feeds.example.com\nitemsPerFeed: 2\narchivePageSize: 3\nid: \"tag:example.com,2026:\"\n");
  await p.put("authors/jane-doe.md", AUTHOR_MD);
  for (let i = 0; i < 20; i++) {
    const date = `2024-04-${String(1 + (i % 28)).padStart(2, "0")} ${String(i % 24).padStart(2, "0")}:00`;
    await p.put(`articles/r${i}.md`, articleText({ frontMatter: { title: `R${i}`, author: "jane-doe", date, categories: [CATEGORIES[i % CATEGORIES.length]!] } }));
  }
  await publish(p.publishDeps, NOW);
  return p;
}

/** A site writer that dies (like a Lambda at its timeout) after `n` writes. */
function dyingAfter(site: MemorySite, n: number): SiteWriter {
  let left = n;
  return {
    hashes: (paths) => site.hashes(paths),
    remove: (path) => site.remove(path),
    write: async (file: SiteFile, hash: string) => {
      if (left-- <= 0) throw new Error("Task timed out after 900.00 seconds");
      await site.write(file, hash);
    },
  };
}

/** The site as a full rebuild from scratch makes it, to compare with. */
async function rebuiltFromScratch(p: Awaited<ReturnType<typeof archive>>): Promise<Map<string, string>> {
  const fresh = new MemorySite();
  const { MemoryPublishLedger } = await import("../../lambdas/adapters/memory-publish-ledger.js");
  // The same layout (it is state in the table), a new site: every page rendered again.
  const ledger = new MemoryPublishLedger();
  for (const [k] of (await p.store.listFeeds()).map((f) => [f.kind === "site" ? "site" : `${f.kind}/${f.slug}`])) {
    const layout = (await p.ledger.layouts([k!])).get(k!);
    if (layout) await ledger.saveLayout(k!, layout, await p.ledger.archivePages(k!), []);
  }
  await publish({ store: p.store, ledger, writer: fresh }, NOW, { everything: true });
  return new Map(fresh.paths().map((x) => [x, fresh.read(x)!.body as string]));
}

const siteOf = (p: Awaited<ReturnType<typeof archive>>) => new Map(p.site.paths().map((x) => [x, p.site.read(x)!.body as string]));

describe("a full rebuild across runs", () => {
  it("out of time: stops between feeds, and the next run (with no request of its own) continues after the last one finished", async () => {
    const p = await archive();
    // A site-wide change: every page must be rendered again.
    await p.put("site.yaml", "title: Rebuilt\nbaseUrl: https://feeds.example.com\nitemsPerFeed: 2\narchivePageSize: 3\nid: \"tag:example.com,2026:\"\n");
    let clock = 900_000;
    const first = await publish(p.publishDeps, NOW, { timeLeftMs: () => (clock -= 200_000), stopBeforeMs: 120_000 });
    expect(first.incomplete).toBe(true);
    expect(first.feeds).toBeGreaterThan(0);
    expect(first.feeds).toBeLessThan(7);
    const cursor = await p.ledger.rebuildCursor();
    expect(cursor).toBeDefined();
    // The marks wait for the rebuild to finish.
    expect((await p.store.dirtyMarks()).some((m) => m.feed === "*")).toBe(true);
    const runs = [first];
    for (let i = 0; i < 10 && runs.at(-1)!.incomplete; i++) {
      clock = 900_000;
      runs.push(await publish(p.publishDeps, NOW, { timeLeftMs: () => (clock -= 200_000), stopBeforeMs: 120_000 }));
    }
    expect(runs.at(-1)!.incomplete).toBeUndefined();
    expect(runs.length).toBeGreaterThan(1);
    // Every feed rebuilt exactly once across the runs (site, author, 5 categories).
    expect(runs.reduce((n, r) => n + r.feeds, 0)).toBe(7);
    expect(await p.ledger.rebuildCursor()).toBeUndefined();
    expect(await p.store.dirtyMarks()).toEqual([]);
    for (const [path, body] of siteOf(p)) if (path.endsWith(".xml")) expect(body, path).toContain("Rebuilt");
    expect(siteOf(p)).toEqual(await rebuiltFromScratch(p));
    // Each index item read about once: 20 entries in the site, the author, and one category each.
    const read = runs.reduce((n, r) => n + r.entriesRead, 0);
    expect(read).toBeLessThan(3 * 20 * 1.5);
  });

  it("killed mid-way at every point: the next runs complete it, and the site equals a rebuild", async () => {
    for (const writes of [0, 3, 11, 26]) {
      const p = await archive();
      await p.put("site.yaml", "title: Killed\nbaseUrl: https://feeds.example.com\nitemsPerFeed: 2\narchivePageSize: 3\nid: \"tag:example.com,2026:\"\n");
      const dying: PublishDeps = { ...p.publishDeps, writer: dyingAfter(p.site, writes) };
      await expect(publish(dying, NOW)).rejects.toThrow(/timed out/);
      const next = await publish(p.publishDeps, NOW);
      expect(next.incomplete, `killed after ${writes} writes`).toBeUndefined();
      expect(await p.ledger.rebuildCursor()).toBeUndefined();
      expect(await p.store.dirtyMarks()).toEqual([]);
      expect(await p.ledger.pendingPaths()).toEqual([]);
      expect(siteOf(p), `killed after ${writes} writes`).toEqual(await rebuiltFromScratch(p));
    }
  });

  it("a new site-wide change while a rebuild is under way starts it over: no feed keeps the older settings", async () => {
    const p = await archive();
    await p.put("site.yaml", "title: First\nbaseUrl: https://feeds.example.com\nitemsPerFeed: 2\narchivePageSize: 3\nid: \"tag:example.com,2026:\"\n");
    let clock = 900_000;
    expect((await publish(p.publishDeps, NOW, { timeLeftMs: () => (clock -= 300_000) })).incomplete).toBe(true);
    await p.put("site.yaml", "title: Second\nbaseUrl: https://feeds.example.com\nitemsPerFeed: 2\narchivePageSize: 3\nid: \"tag:example.com,2026:\"\n");
    expect((await publish(p.publishDeps, NOW)).incomplete).toBeUndefined();
    for (const [path, body] of siteOf(p)) {
      if (path.endsWith(".xml")) {
        expect(body, path).toContain("Second");
        expect(body, path).not.toContain("First");
      }
    }
  });

  it("the operator's invocation ({\"rebuild\": true}) through the publish handler: a short run stops, the scheduled run continues", async () => {
    const p = await archive();
    const logged: Record<string, unknown>[] = [];
    const deps = { ...p.publishDeps, log: (f: Record<string, unknown>) => logged.push(f) };
    let left = 400_000;
    const first = await handlePublishEvent(deps, { rebuild: true }, NOW, () => (left -= 150_000));
    expect(first?.incomplete).toBe(true);
    expect(logged[0]).toMatchObject({ incomplete: true });
    // Nothing marked: only the cursor says a rebuild is under way.
    expect(await p.store.dirtyMarks()).toEqual([]);
    const scheduled = { id: "e1", "detail-type": "Scheduled Event" as const, source: "aws.events" as const, account: "1", time: NOW.toISOString(), region: "eu-west-1", resources: [], version: "0", detail: {} };
    for (let i = 0; i < 10 && (await p.ledger.rebuildCursor()); i++) {
      left = 400_000;
      await handlePublishEvent(deps, scheduled, NOW, () => (left -= 150_000));
    }
    expect(await p.ledger.rebuildCursor()).toBeUndefined();
    expect(siteOf(p)).toEqual(await rebuiltFromScratch(p));
  });
});
