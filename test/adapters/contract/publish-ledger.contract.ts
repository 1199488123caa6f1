import { describe, expect, it } from "vitest";
import type { PublishLedger } from "../../../lambdas/core/ports.js";

/** What every `PublishLedger` must do: the lease publishers share, and the pending paths. */
export function describePublishLedger(name: string, makeLedger: () => Promise<PublishLedger>): void {
  describe(`PublishLedger contract: ${name}`, () => {
    it("the publish lease: one holder at a time; free again when released or expired; only the owner renews or releases", async () => {
      const store = await makeLedger();
      const t = 1_000_000;
      expect(await store.tryLease("a", t, 1000)).toEqual({ acquired: true, holder: "a", expiresAtMs: t + 1000 });
      expect(await store.tryLease("b", t + 10, 1000)).toEqual({ acquired: false, holder: "a", expiresAtMs: t + 1000 });
      expect((await store.tryLease("a", t + 20, 1000)).acquired).toBe(true); // re-entrant for its owner
      expect(await store.renewLease("b", t + 30, 1000)).toBe(false);
      await store.releaseLease("b"); // not b's: nothing happens
      expect((await store.tryLease("b", t + 40, 1000)).acquired).toBe(false);
      expect(await store.renewLease("a", t + 50, 1000)).toBe(true);
      expect((await store.tryLease("b", t + 1049, 1000)).acquired).toBe(false); // renewed until t + 1050
      expect((await store.tryLease("b", t + 1051, 1000)).acquired).toBe(true); // expired: b takes it
      expect(await store.renewLease("a", t + 1060, 1000)).toBe(false); // a lost it
      await store.releaseLease("b");
      expect(await store.renewLease("b", t + 1070, 1000)).toBe(false); // released: nothing to renew
      expect((await store.tryLease("c", t + 1080, 1000)).acquired).toBe(true);
    });

    it("a lease is held up to and including its expiry instant, free just after", async () => {
      const ledger = await makeLedger();
      await ledger.tryLease("a", 0, 100);
      expect(await ledger.tryLease("b", 100, 100)).toEqual({ acquired: false, holder: "a", expiresAtMs: 100 });
      expect(await ledger.tryLease("b", 101, 100)).toEqual({ acquired: true, holder: "b", expiresAtMs: 201 });
    });

    it("an owner whose lease ran out, but that nobody took, may still renew it (renewal is by owner, not by time)", async () => {
      const ledger = await makeLedger();
      await ledger.tryLease("a", 0, 100);
      expect(await ledger.renewLease("a", 500, 100)).toBe(true);
      expect(await ledger.tryLease("b", 550, 100)).toMatchObject({ acquired: false, holder: "a", expiresAtMs: 600 });
    });

    it("a released lease is free at once for anyone", async () => {
      const ledger = await makeLedger();
      await ledger.tryLease("a", 0, 60_000);
      await ledger.releaseLease("a");
      await ledger.releaseLease("a"); // twice: nothing to do
      expect(await ledger.tryLease("b", 1, 60_000)).toEqual({ acquired: true, holder: "b", expiresAtMs: 60_001 });
    });

    it("pending paths: a set; clearing removes exactly the given paths", async () => {
      const store = await makeLedger();
      expect(await store.pendingPaths()).toEqual([]);
      await store.addPending(["feed.xml", "atom.xml"]);
      await store.addPending(["atom.xml", "index.html"]);
      expect(await store.pendingPaths()).toEqual(["atom.xml", "feed.xml", "index.html"]);
      await store.clearPending(["atom.xml", "feed.xml", "not-there.xml"]);
      expect(await store.pendingPaths()).toEqual(["index.html"]);
      await store.clearPending(["index.html"]);
      expect(await store.pendingPaths()).toEqual([]);
      const many = Array.from({ length: 1200 }, (_, i) => `archive/2024-01-${i}/feed.xml`);
      await store.addPending(many);
      await store.clearPending(many);
      expect(await store.pendingPaths()).toEqual([]);
    });

    it("pending paths: nothing to add or clear is a no-op; `*` and Unicode paths are kept as given", async () => {
      const ledger = await makeLedger();
      await ledger.addPending([]);
      await ledger.clearPending([]);
      expect(await ledger.pendingPaths()).toEqual([]);
      await ledger.addPending(["*", "categories/اردو/feed.xml"]);
      expect(await ledger.pendingPaths()).toEqual(["*", "categories/اردو/feed.xml"]);
      await ledger.clearPending(["categories/اردو/feed.xml"]);
      expect(await ledger.pendingPaths()).toEqual(["*"]);
    });

    it("the lease and the pending paths are independent", async () => {
      const ledger = await makeLedger();
      await ledger.addPending(["feed.xml"]);
      await ledger.tryLease("a", 0, 1000);
      await ledger.releaseLease("a");
      expect(await ledger.pendingPaths()).toEqual(["feed.xml"]);
    });

    it("archive layouts: per feed, pages oldest first by their lower key (in UTF-8 order), updated and removed by key", async () => {
      const ledger = await makeLedger();
      expect(await ledger.layouts(["site", "category/a"])).toEqual(new Map());
      expect(await ledger.archivePages("site")).toEqual([]);
      await ledger.saveLayout("site", { boundary: "2024-05-01T00:00:00.000Z#z", pageSize: 3, nextId: 4 }, [
        { lo: "", id: 1 }, { lo: "2024-02-01T00:00:00.000Z#\uffee", id: 3 }, { lo: "2024-02-01T00:00:00.000Z#\u{20000}", id: 2 },
      ], []);
      // A feed whose key starts like another's is its own.
      await ledger.saveLayout("category/a", { boundary: "", pageSize: 3, nextId: 2 }, [{ lo: "", id: 1 }], []);
      await ledger.saveLayout("category/a-b", { boundary: "", pageSize: 5, nextId: 9 }, [{ lo: "", id: 8 }], []);
      expect((await ledger.archivePages("site")).map((p) => p.id)).toEqual([1, 3, 2]);
      expect(await ledger.archivePages("category/a")).toEqual([{ lo: "", id: 1 }]);
      // A feed asked for twice is one answer (BatchGetItem refuses duplicate keys).
      expect([...(await ledger.layouts(["site", "site"])).keys()]).toEqual(["site"]);
      expect(await ledger.layouts(["site", "category/a", "author/x"])).toEqual(new Map([
        ["site", { boundary: "2024-05-01T00:00:00.000Z#z", pageSize: 3, nextId: 4 }],
        ["category/a", { boundary: "", pageSize: 3, nextId: 2 }],
      ]));
      // A split: a new page; a merge: one removed, and a page whose id changed.
      await ledger.saveLayout("site", { boundary: "2024-06-01T00:00:00.000Z#z", pageSize: 3, nextId: 5 }, [{ lo: "", id: 3 }, { lo: "2024-03-01T00:00:00.000Z#m", id: 4 }], ["2024-02-01T00:00:00.000Z#\uffee", "2024-02-01T00:00:00.000Z#\u{20000}"]);
      expect(await ledger.archivePages("site")).toEqual([{ lo: "", id: 3 }, { lo: "2024-03-01T00:00:00.000Z#m", id: 4 }]);
      expect((await ledger.layouts(["site"])).get("site")?.nextId).toBe(5);
      // Around a key: the page holding it, and neighbours on each side, oldest first.
      await ledger.saveLayout("author/w", { boundary: "z", pageSize: 2, nextId: 9 }, ["", "b", "d", "f", "h", "j"].map((lo, i) => ({ lo, id: i + 1 })), []);
      await ledger.saveLayout("author/w-x", { boundary: "z", pageSize: 2, nextId: 2 }, [{ lo: "", id: 1 }], []);
      const around = async (sk: string, older: number, newer: number) => (await ledger.archivePages("author/w", { sk, older, newer })).map((p) => p.lo);
      expect(await around("e", 1, 1)).toEqual(["b", "d", "f"]);
      expect(await around("d", 1, 1)).toEqual(["b", "d", "f"]);
      expect(await around("a", 2, 2)).toEqual(["", "b", "d"]);
      expect(await around("", 0, 0)).toEqual([""]);
      expect(await around("i", 2, 2)).toEqual(["d", "f", "h", "j"]);
      expect(await around("zz", 1, 5)).toEqual(["h", "j"]);
      expect(await around("c", 0, Number.POSITIVE_INFINITY)).toEqual(["b", "d", "f", "h", "j"]);
      expect(await around("j", 1, Number.POSITIVE_INFINITY)).toEqual(["h", "j"]);
      // A layout item alone (ids reserved before pages are written).
      await ledger.saveLayout("site", { boundary: "2024-06-01T00:00:00.000Z#z", pageSize: 3, nextId: 9 }, [], []);
      expect(await ledger.archivePages("site")).toHaveLength(2);
      expect((await ledger.layouts(["site"])).get("site")?.nextId).toBe(9);
    });
  });
}
