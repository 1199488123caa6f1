import { deserialize, serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { MemoryContentStore, type ContentStoreState } from "../../lambdas/adapters/memory-content-store.js";
import { MemoryPublishLedger, type PublishLedgerState } from "../../lambdas/adapters/memory-publish-ledger.js";
import { publish } from "../../lambdas/app/publish.js";
import type { ContentStore, PublishLedger } from "../../lambdas/core/ports.js";
import { AUTHOR_MD, memoryPipeline, SITE_YAML } from "../support/memory-pipeline.js";
import { describeContentStore } from "./contract/content-store.contract.js";
import { describePublishLedger } from "./contract/publish-ledger.contract.js";

/**
 * `snapshot()` / `restore()` of the memory store and ledger (the local warm start keeps
 * them between runs through `v8.serialize`): the contract suites pass on a store that is
 * snapshotted, serialized and restored after every call, and a filled store survives the
 * round trip whole.
 */

const roundTrip = <T>(state: T): T => deserialize(serialize(state)) as T;

/** Forwards every call to the current instance, then replaces it with its round-tripped copy. */
function throughSnapshots<T extends object>(first: T, again: (t: T) => T): T {
  let current = first;
  return new Proxy({} as T, {
    get(_target, prop) {
      const value = Reflect.get(current, prop) as unknown;
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        const out = await (value as (...a: unknown[]) => unknown).apply(current, args);
        current = again(current);
        return out;
      };
    },
  });
}

describeContentStore("MemoryContentStore through snapshot/restore after every call", async () =>
  throughSnapshots<ContentStore>(new MemoryContentStore(), (s) => MemoryContentStore.restore(roundTrip((s as MemoryContentStore).snapshot()), { adopt: true })));

describePublishLedger("MemoryPublishLedger through snapshot/restore after every call", async () =>
  throughSnapshots<PublishLedger>(new MemoryPublishLedger(), (l) => MemoryPublishLedger.restore(roundTrip((l as MemoryPublishLedger).snapshot()))));

const article = (title: string, date: string, tags: string) =>
  `---\ntitle: ${title}\ndate: ${date}\nauthor: jane\ntags: [${tags}]\n---\nBody of ${title}.\n`;

describe("snapshot round trip of a filled store", () => {
  it("a store with articles, a deletion, holds and dirty marks restores equal, and publishes the same files", async () => {
    const p = memoryPipeline();
    await p.put("site.yaml", SITE_YAML);
    await p.put("articles/held.md", article("Held", "2024-05-01T10:00:00Z", "x").replace("author: jane", "author: nobody"));
    await p.put("authors/jane.md", AUTHOR_MD);
    await p.put("articles/a.md", article("A", "2024-05-02T10:00:00Z", "x, y"));
    await p.put("articles/b.md", article("B", "2024-05-03T10:00:00Z", "y"));
    await p.put("articles/c.md", article("C", "2024-05-04T10:00:00Z", "z"));
    await p.remove("articles/c.md");
    await publish(p.publishDeps, new Date("2024-06-03T00:00:00Z"));
    await p.put("articles/d.md", article("D", "2024-05-05T10:00:00Z", "x"));

    const state = p.store.snapshot();
    const restored = MemoryContentStore.restore(roundTrip(state), { adopt: true });
    expect(restored.snapshot()).toEqual(state);
    const ledger = MemoryPublishLedger.restore(roundTrip(p.ledger.snapshot()));
    expect(ledger.snapshot()).toEqual(p.ledger.snapshot());
    expect(await restored.heldFor("author/nobody")).toEqual(await p.store.heldFor("author/nobody"));
    expect(await restored.dirtyMarks()).toEqual(await p.store.dirtyMarks());

    // The same publish on the original and on the restored copy writes the same files.
    const { MemorySite } = await import("../../lambdas/adapters/memory-site.js");
    const [w1, w2] = [new MemorySite(), new MemorySite()];
    const at = new Date("2024-06-04T00:00:00Z");
    const r1 = await publish({ ...p.publishDeps, writer: w1 }, at, { everything: true });
    const r2 = await publish({ ...p.publishDeps, store: restored, ledger, writer: w2 }, at, { everything: true });
    expect(r2.written).toEqual(r1.written);
    expect(r1.written.length).toBeGreaterThan(5);
    for (const path of r1.written) expect(w2.readFile(path)).toEqual(w1.readFile(path));
  });

  it("a snapshot does not follow later changes once serialized; restore copies unless adopted", async () => {
    const store = new MemoryContentStore();
    await store.markDirty([{ feed: "site" }]);
    const state: ContentStoreState = store.snapshot();
    const restored = MemoryContentStore.restore(state);
    await store.markDirty([{ feed: "tag/x" }]);
    expect((await restored.dirtyMarks()).map((m) => m.feed)).toEqual(["site"]);
    (state.dirty as unknown as unknown[]).length = 0;
    expect((await restored.dirtyMarks()).map((m) => m.feed)).toEqual(["site"]);
  });

  it("a state of another version is refused", () => {
    expect(() => MemoryContentStore.restore({ version: 0 } as unknown as ContentStoreState)).toThrow(/state version 0/);
    expect(() => MemoryPublishLedger.restore({ version: 1 } as unknown as PublishLedgerState)).toThrow(/state version 1/);
  });
});
