import type { DynamoDBStreamEvent, S3Event } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../lambdas/app/hash.js";
import type { IngestResult } from "../../lambdas/app/ingest.js";
import type { PublishReport } from "../../lambdas/app/publish.js";
import { PUBLISH_TRIGGER } from "../../lambdas/contracts/table.js";
import { handlePublishEvent } from "../../lambdas/publish.js";
import { atomStep, jsonStep, rssStep, walk } from "../support/archive-walk.js";
import { startAwsHarness, type AwsHarness } from "../support/aws-harness.js";
import { child, children, parseXmlStrict } from "../support/parsers.js";

/**
 * A burst of 500 uploads, as an editor's bulk import would make: s3rver emits the
 * events, some are delivered twice and all out of order, eight ingest invocations run
 * at once (Lambda scales out on S3 events) while the publisher drains the "stream" in
 * batches of up to 100 records, one batch at a time (the stack's event source
 * mapping). Afterwards every feed holds the newest N, every archive chain finds each
 * article exactly once, and every file in the site bucket parses.
 */

const BASE = "https://feeds.example.com";
const N = 500;
const ITEMS = 50;
const CATEGORIES = ["Politics", "Business", "Technology", "Sports", "Culture"];
const AUTHORS = ["amna", "bilal", "chen"];
const idOf = (slug: string) => `tag:example.com,2026:${slug}`;

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Spec { slug: string; key: string; published: string; category: string; author: string; text: string }

const random = prng(500);
const specs: Spec[] = Array.from({ length: N }, (_, i) => {
  const slug = `burst-${String(i).padStart(3, "0")}`;
  // 500 distinct minutes over 20 days, in an order unrelated to the slug.
  const minute = Math.floor(((i * 7919) % N) * ((20 * 24 * 60) / N));
  const published = new Date(Date.UTC(2024, 4, 1) + minute * 60_000).toISOString().replace(".000Z", "Z");
  const category = CATEGORIES[Math.floor(random() * CATEGORIES.length)]!;
  const author = AUTHORS[Math.floor(random() * AUTHORS.length)]!;
  const title = i % 10 === 0 ? `خبر ${i}: بجلی کی گاڑیاں` : `Story ${i} <draft> & "more"`;
  const text = `---\ntitle: ${JSON.stringify(title)}\nauthor: ${author}\ndate: ${published}\ncategories: [${category}]\n---\nParagraph ${i} with a [link](/a/${i}).\n`;
  return { slug, key: `articles/2024/${slug}.md`, published, category, author, text };
});
/** Newest first, as feeds order entries. */
const newestFirst = (xs: readonly Spec[]) => [...xs].sort((a, b) => b.published.localeCompare(a.published)).map((s) => idOf(s.slug));

let h: AwsHarness;
const results: IngestResult[] = [];
const reports: PublishReport[] = [];
let batches = 0;

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  }));
}

beforeAll(async () => {
  h = await startAwsHarness("burst");
  await h.upload("site.yaml", `title: Burst\nbaseUrl: ${BASE}\nid: "tag:example.com,2026:"\nitemsPerFeed: ${ITEMS}\ntimeZone: UTC\nhubs: [https://hub.example.com/]\n`);
  for (const a of AUTHORS) await h.upload(`authors/${a}.md`, `---\nname: ${a[0]!.toUpperCase()}${a.slice(1)}\n---\n`);
  await h.deliver();

  await pool(specs, 16, (s) => h.upload(s.key, s.text));
  const events = h.takeEvents();
  expect(events).toHaveLength(N);
  // At-least-once and unordered: every 10th event twice, then shuffled.
  const delivered: S3Event[] = [...events, ...events.filter((_, i) => i % 10 === 0)];
  for (let i = delivered.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [delivered[i], delivered[j]] = [delivered[j]!, delivered[i]!];
  }

  // The publisher drains the stream while ingest is still running, as the event source
  // mapping does: records its filter drops (article items, the publish lease) never
  // count, and a batch waits to fill up to 100 records (the batching window).
  let ingesting = true;
  const buffered: DynamoDBStreamEvent["Records"] = [];
  const triggers = (r: DynamoDBStreamEvent["Records"][number]) => r.dynamodb?.Keys?.pk?.S === PUBLISH_TRIGGER.partitionKey && (PUBLISH_TRIGGER.eventNames as readonly string[]).includes(r.eventName ?? "");
  const publisher = (async () => {
    for (;;) {
      buffered.push(...h.takeStream().Records.filter(triggers));
      if (buffered.length < 100 && ingesting) {
        await new Promise((r) => setTimeout(r, 25));
        continue;
      }
      if (buffered.length === 0) return;
      const batch = buffered.splice(0, 100);
      batches++;
      const report = await handlePublishEvent(h.publishDeps, { Records: batch }, new Date());
      if (report) reports.push(report);
    }
  })();
  await pool(delivered, 8, async (e) => { results.push(...(await h.ingest([e]))); });
  ingesting = false;
  await publisher;
}, 240_000);
afterAll(async () => { await h?.close(); });

describe(`a burst of ${N} uploads`, () => {
  it("ingests each file once: 500 published, the 50 repeated events change nothing and report the same", async () => {
    const outcomes = new Map<string, number>();
    for (const r of results) outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
    // A repeated event reports what the first delivery reported (never a weaker outcome).
    expect(Object.fromEntries(outcomes)).toEqual({ published: N + N / 10 });
    // ... and wrote nothing: every article record is still at its first version.
    const versions = await Promise.all(specs.map(async (s) => (await h.store.getArticle(s.slug))?.ver));
    expect(new Set(versions)).toEqual(new Set([1]));
    expect(batches).toBeGreaterThan(1);
  });

  it("the current feeds hold exactly the newest 50 articles, in every format", async () => {
    const expected = newestFirst(specs).slice(0, ITEMS);
    expect(children(parseXmlStrict(await h.siteText("atom.xml")), "entry").map((e) => child(e, "id").text)).toEqual(expected);
    expect(children(child(parseXmlStrict(await h.siteText("feed.xml")), "channel"), "item").map((i) => child(i, "guid").text)).toEqual(expected);
    expect((JSON.parse(await h.siteText("feed.json")) as { items: { id: string }[] }).items.map((i) => i.id)).toEqual(expected);
  });

  it("every archive chain (site, each category, each author; Atom, RSS, JSON) finds each of its articles exactly once, newest first", async () => {
    const read = (url: string) => h.siteText(decodeURIComponent(url.slice(BASE.length + 1)));
    for (const [file, step] of [["atom.xml", atomStep], ["feed.xml", rssStep], ["feed.json", jsonStep]] as const) {
      expect((await walk(`${BASE}/${file}`, read, step)).ids, file).toEqual(newestFirst(specs));
    }
    for (const c of CATEGORIES) {
      const ids = (await walk(`${BASE}/categories/${c.toLowerCase()}/atom.xml`, read, atomStep)).ids;
      expect(ids, c).toEqual(newestFirst(specs.filter((s) => s.category === c)));
    }
    for (const a of AUTHORS) {
      const ids = (await walk(`${BASE}/authors/${a}/feed.json`, read, jsonStep)).ids;
      expect(ids, a).toEqual(newestFirst(specs.filter((s) => s.author === a)));
    }
  });

  it("every file in the site bucket parses (strict XML or JSON Feed 1.1), and every write was invalidated", async () => {
    const files = await h.siteKeys();
    expect(await h.assertSiteWellFormed()).toBe(files.length);
    const invalidated = new Set(h.invalidations.flat());
    const written = new Set(reports.flatMap((r) => r.written));
    for (const path of written) expect(invalidated.has(`/${path}`), path).toBe(true);
    expect(await h.ledger.pendingPaths()).toEqual([]);
  });

  it("every editor gets a report", async () => {
    for (const s of specs.filter((_, i) => i % 50 === 7)) expect(await h.contentText(`_reports/${s.key}.txt`)).toBe(`${s.key}: published\nversion: ${sha256(s.text)}\n`);
  });
});
