import { CreateTableCommand, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbContentStore } from "../../lambdas/adapters/dynamodb-content-store.js";
import { DynamoDbPublishLedger } from "../../lambdas/adapters/dynamodb-publish-ledger.js";
import { MemoryContentSource } from "../../lambdas/adapters/memory-content-source.js";
import { MemorySite } from "../../lambdas/adapters/memory-site.js";
import { createTableInput } from "../../lambdas/contracts/table.js";
import { sha256 } from "../../lambdas/app/hash.js";
import { ingest, type ContentEvent } from "../../lambdas/app/ingest.js";
import { publish } from "../../lambdas/app/publish.js";
import type { ContentSource, ContentStore } from "../../lambdas/core/ports.js";
import { startLocalDynamo, type LocalDynamo } from "../../local/local-dynamo.js";
import { assertJsonFeed11, child, children, parseXmlStrict } from "../support/parsers.js";

/**
 * Property test: arbitrary Unicode titles and bodies, every S3 event delivered at least
 * once in any order, and DynamoDB / S3 failing at random points (each failed event or
 * publish is retried, as Lambda does). Afterwards the feeds must equal the newest N live
 * articles, with unique, stable GUIDs, and every file must parse.
 */

const N = 4;
const SITE = `title: Fuzz\nbaseUrl: https://f.example\nitemsPerFeed: ${N}\nid: "tag:f.example,2026:"\n`;
const AUTHOR = "---\nname: A\n---\n";
let dynamo: LocalDynamo;
let tables = 0;

beforeAll(async () => { dynamo = await startLocalDynamo("fuzz-0"); });
afterAll(async () => { await dynamo?.close(); });

class FaultInjected extends Error {}

/** Wraps an adapter so that each call fails with probability `p` (deterministic per seed). */
function flaky<T extends object>(target: T, rng: () => number, p: number): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        if (rng() < p) throw new FaultInjected(`injected failure in ${String(prop)}`);
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(t, args);
        // Fail after the call took effect too: the caller can't tell, and must retry safely.
        if (rng() < p / 2) throw new FaultInjected(`injected failure after ${String(prop)}`);
        return result;
      };
    },
  });
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const op = fc.record({
  slot: fc.integer({ min: 0, max: 5 }),
  kind: fc.constantFrom("put", "put", "put", "delete"),
  title: fc.string({ unit: "binary", maxLength: 30 }),
  body: fc.string({ unit: "binary", maxLength: 200 }),
  day: fc.integer({ min: 1, max: 28 }),
  category: fc.constantFrom("News", "Tech", "اردو"),
});

async function retry<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof FaultInjected) || i > 500) throw err;
    }
  }
}

describe("randomised ingest and publish", () => {
  it("feeds equal the newest N live articles, whatever the order, duplicates and faults", async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(op, { minLength: 1, maxLength: 14 }),
      fc.array(fc.nat(), { maxLength: 60 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      async (ops, shuffle, seed) => {
        const table = `fuzz-${++tables}`;
        await dynamo.client.send(new CreateTableCommand(createTableInput(table)));
        await waitUntilTableExists({ client: dynamo.client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 }, { TableName: table });
        const rng = mulberry32(seed);
        const realStore = new DynamoDbContentStore(dynamo.client, table);
        const realLedger = new DynamoDbPublishLedger(dynamo.client, table);
        const store: ContentStore = flaky(realStore, rng, 0.08);

        // The bucket's history: each op is a new version of its key, with a rising sequencer.
        const bucket = new MemoryContentSource();
        bucket.put("site.yaml", SITE);
        bucket.put("authors/a.md", AUTHOR);
        const events: ContentEvent[] = [];
        let seq = 100;
        const setup: ContentEvent[] = ["site.yaml", "authors/a.md"].map((key) => ({ key, type: "put", seq: (seq++).toString(16), time: "2024-01-01T00:00:00.000Z" }));
        for (const o of ops) {
          const key = `articles/s${o.slot}.md`;
          if (o.kind === "delete") bucket.delete(key);
          else {
            const text = `---\ntitle: ${JSON.stringify(`T ${o.title}`)}\nauthor: a\ndate: 2024-02-${String(o.day).padStart(2, "0")} 10:00\ncategories: [${o.category}]\n---\n${o.body}\n`;
            bucket.put(key, text);
          }
          events.push({ key, type: o.kind === "delete" ? "delete" : "put", seq: (seq++).toString(16), time: `2024-03-01T00:00:${String(seq % 60).padStart(2, "0")}.000Z` });
        }
        // At-least-once, any order: duplicates and a shuffle.
        const delivered = [...events, ...shuffle.slice(0, 10).map((i) => events[i % events.length]!)];
        for (let i = delivered.length - 1; i > 0; i--) {
          const j = (shuffle[i % Math.max(1, shuffle.length)] ?? i) % (i + 1);
          [delivered[i], delivered[j]] = [delivered[j]!, delivered[i]!];
        }
        // S3 GetObject answers the object as it is now, whatever event is being handled.
        const source: ContentSource = flaky(bucket, rng, 0.05);

        for (const e of [...setup, ...delivered]) {
          const r = await retry(() => ingest({ store, source }, e, new Date("2024-06-01T00:00:00Z")));
          expect(r.outcome, `${e.key}: ${JSON.stringify(r.problems)}`).not.toBe("rejected");
        }
        const writer = new MemorySite();
        // Publish makes dozens of store calls; a lower rate still fails most first attempts.
        // The ledger fails too (lease, pending paths); a short lease keeps a lease whose release
        // failed from stalling the retry.
        await retry(() => publish({ store: flaky(realStore, rng, 0.01), ledger: flaky(realLedger, rng, 0.01), writer: flaky(writer, rng, 0.05), lease: { leaseMs: 300 } }, new Date("2024-06-01T00:00:00Z")));

        // Expected: the live articles as the bucket holds them now, newest N.
        const files = await Promise.all(bucket.keys().filter((k) => k.startsWith("articles/")).map(async (k) => [k, (await bucket.read(k))!.body] as const));
        const live = files.map(([k, v]) => {
          const text = new TextDecoder().decode(v);
          const day = /date: (\S+)/.exec(text)![1]!;
          return { id: `tag:f.example,2026:${k.slice(9, -3)}`, sort: `${day}#${k.slice(9, -3)}`, hash: sha256(v) };
        }).sort((a, b) => b.sort.localeCompare(a.sort));
        const expectedIds = live.slice(0, N).map((l) => l.id);

        const rss = parseXmlStrict(writer.read("feed.xml")!.body);
        const rssIds = children(child(rss, "channel"), "item").map((i) => child(i, "guid").text);
        expect(rssIds).toEqual(expectedIds);
        expect(new Set(rssIds).size).toBe(rssIds.length);
        const atom = parseXmlStrict(writer.read("atom.xml")!.body);
        expect(children(atom, "entry").map((e) => child(e, "id").text)).toEqual(expectedIds);
        const json = assertJsonFeed11(writer.read("feed.json")!.body) as { items: { id: string }[] };
        expect(json.items.map((i) => i.id)).toEqual(expectedIds);
        for (const path of writer.paths()) {
          const body = writer.read(path)!.body;
          if (path.endsWith(".json")) assertJsonFeed11(body);
          else if (path.endsWith(".xml") || path.endsWith(".opml")) parseXmlStrict(body);
        }
        // No article lost or duplicated in the store either: every live slug is stored with the bucket's bytes.
        for (const l of live) {
          const stored = await realStore.getArticle(l.id.split(":").pop()!);
          expect(stored?.source.hash).toBe(l.hash);
        }
      },
    ), { numRuns: 40, seed: 20261128 });
  }, 240_000);
});
