import type { S3Event } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { publish, type PublishDeps } from "../../lambdas/app/publish.js";
import { LeaseLostError } from "../../lambdas/core/errors.js";
import type { Invalidator, PublishLedger, SiteWriter } from "../../lambdas/core/ports.js";
import { handlePublishEvent } from "../../lambdas/publish.js";
import { atomStep, walk } from "../support/archive-walk.js";
import { SITE, startAwsHarness, type AwsHarness } from "../support/aws-harness.js";
import { faultInjector, InjectedFault, pkOf, type FaultRule } from "../support/emulators.js";
import { child, children, parseXmlStrict } from "../support/parsers.js";

/**
 * Faults, against s3rver and dynalite with the real handlers: DynamoDB and S3 failing
 * inside the adapters (injected below them, in the SDK client), a publish that dies
 * after writing some files, publishers racing and stalling. After the retry every
 * article is in its feeds exactly once, every file parses, and no feed went backwards.
 */

const BASE = "https://feeds.example.com";
const SITE_YAML = `title: Faults
baseUrl: ${BASE}
id: "tag:example.com,2026:"
itemsPerFeed: 4
timeZone: Asia/Karachi
hubs: [https://hub.example.com/]
`;
const idOf = (slug: string) => `tag:example.com,2026:${slug}`;
const keyOf = (slug: string) => `articles/${slug}.md`;
let day = 0;
/** Each new article is a day newer than the previous one. */
function articleText(slug: string, title = `Title of ${slug}`): string {
  day++;
  const date = new Date(Date.UTC(2024, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
  return `---\ntitle: ${title}\nauthor: jane\ndate: ${date} 09:00\ncategories: [News]\n---\nBody of ${slug}.\n`;
}

let h: AwsHarness;
let ddbFaults: ReturnType<typeof faultInjector>;
let s3Faults: ReturnType<typeof faultInjector>;
/** Keys written to the site bucket, in order (successful PutObject calls). */
const siteWrites: string[] = [];

beforeAll(async () => {
  h = await startAwsHarness("faults");
  ddbFaults = faultInjector(h.dynamo.client);
  s3Faults = faultInjector(h.s3.client);
  h.s3.client.middlewareStack.add((next, context) => async (args) => {
    const result = await next(args);
    const input = args.input as { Bucket?: string; Key?: string };
    if (context.commandName === "PutObjectCommand" && input.Bucket === SITE) siteWrites.push(input.Key!);
    return result;
  }, { step: "initialize", name: "siteWrites" });
  await h.upload("site.yaml", SITE_YAML);
  await h.upload("authors/jane.md", "---\nname: Jane Doe\n---\n");
  for (const slug of ["base-1", "base-2", "base-3", "base-4", "base-5", "base-6"]) await h.upload(keyOf(slug), articleText(slug));
  const { results } = await h.deliver();
  expect(results.every((r) => r.outcome === "published")).toBe(true);
});
afterAll(async () => {
  // Every invalidation had its own caller reference: CloudFront would skip a repeated one.
  if (h) expect(new Set(h.invalidationRefs).size).toBe(h.invalidationRefs.length);
  await h?.close();
});

/** Every id in the site feed's archive chain (Atom), newest first. */
async function chainIds(): Promise<string[]> {
  return (await walk(`${BASE}/atom.xml`, (url) => h.siteText(url.slice(BASE.length + 1)), atomStep)).ids;
}

const atomIds = (xml: string) => children(parseXmlStrict(xml), "entry").map((e) => child(e, "id").text);

/** The article is in the archive chain exactly once, no id appears twice, and every file parses. */
async function expectPublishedOnce(slug: string): Promise<void> {
  const ids = await chainIds();
  expect(ids.filter((id) => id === idOf(slug)), slug).toHaveLength(1);
  expect(new Set(ids).size).toBe(ids.length);
  await h.assertSiteWellFormed();
}

const republish = (event = h.takeStream()) => handlePublishEvent(h.publishDeps, event, new Date());

describe("DynamoDB or S3 failing mid-ingest", () => {
  const isArticle = (i: Record<string, any>) => pkOf(i).startsWith("ARTICLE#");
  const cases: [string, "ddb" | "s3", FaultRule][] = [
    ["S3 GetObject of the source fails", "s3", { command: "GetObjectCommand" }],
    ["the article put fails", "ddb", { command: "PutItemCommand", when: isArticle }],
    ["the article put succeeds but its response is lost", "ddb", { command: "PutItemCommand", when: isArticle, phase: "after" }],
    ["the feed index batch write fails", "ddb", { command: "BatchWriteItemCommand" }],
    ["the feed index batch write succeeds but its response is lost", "ddb", { command: "BatchWriteItemCommand", phase: "after" }],
    ["marking the index done fails after it was written", "ddb", { command: "UpdateItemCommand", when: isArticle, phase: "after" }],
    ["the editor report put fails", "s3", { command: "PutObjectCommand", when: (i) => String(i.Key).startsWith("_reports/") }],
  ];

  it.each(cases.map(([name, client, rule], i) => ({ name, client, rule, slug: `ingest-fault-${i}` })))(
    "$name: the event fails, feeds stay well-formed, the retried event publishes the article exactly once",
    async ({ client, rule, slug }) => {
      await h.upload(keyOf(slug), articleText(slug));
      const events: S3Event[] = h.takeEvents();
      (client === "ddb" ? ddbFaults : s3Faults).fail(rule);
      await expect(h.ingest(events)).rejects.toThrow(InjectedFault);
      ddbFaults.clear();
      s3Faults.clear();
      // Whatever the failed attempt wrote reaches publish through the stream: still well-formed.
      await republish();
      await h.assertSiteWellFormed();

      // Lambda retries the same event.
      const [result] = await h.ingest(events);
      expect(result?.outcome).toMatch(/^(published|updated|unchanged)$/);
      await republish();
      await expectPublishedOnce(slug);
      expect(await h.contentText(`_reports/${keyOf(slug)}.txt`)).toMatch(new RegExp(`^${keyOf(slug)}: (published|updated|unchanged)\nversion: [0-9a-f]{64}\n$`));
    },
  );
});

describe("DynamoDB, S3 or CloudFront failing mid-publish", () => {
  const cases: [string, "ddb" | "s3" | "cloudfront", FaultRule?][] = [
    ["a feed index Query fails", "ddb", { command: "QueryCommand", skip: 3 }],
    ["reading the stored hashes (HeadObject) fails", "s3", { command: "HeadObjectCommand", skip: 2 }],
    ["the site bucket fails after 4 files were written", "s3", { command: "PutObjectCommand", skip: 4, when: (i) => i.Bucket === SITE }],
    ["a site file is written but the response is lost", "s3", { command: "PutObjectCommand", skip: 1, when: (i) => i.Bucket === SITE, phase: "after" }],
    ["recording the pending paths fails", "ddb", { command: "UpdateItemCommand", skip: 1, when: (i) => pkOf(i) === "PUBLISH" && /ADD/.test(String(i.UpdateExpression)) }],
    ["the CloudFront invalidation fails", "cloudfront"],
    ["clearing the pending paths fails after the invalidation", "ddb", { command: "UpdateItemCommand", when: (i) => pkOf(i) === "PUBLISH" && /DELETE/.test(String(i.UpdateExpression)) }],
  ];

  it.each(cases.map(([name, client, rule], i) => ({ name, client, rule, slug: `publish-fault-${i}` })))(
    "$name: feeds stay well-formed and on the previous or the new version; the retry completes and invalidates what the failed run wrote",
    async ({ client, rule, slug }) => {
      await h.upload(keyOf(slug), articleText(slug));
      const [ingested] = await h.ingest(h.takeEvents());
      expect(ingested?.outcome).toBe("published");
      const event = h.takeStream();
      const before = await chainIds();

      let deps: PublishDeps = h.publishDeps;
      if (client === "cloudfront") {
        const inner = h.publishDeps.invalidator!;
        let failed = false;
        const failingOnce: Invalidator = { invalidate: async (paths, ref) => { if (!failed) { failed = true; throw new Error("CloudFront: ServiceUnavailable"); } await inner.invalidate(paths, ref); } };
        deps = { ...h.publishDeps, invalidator: failingOnce };
      } else (client === "ddb" ? ddbFaults : s3Faults).fail(rule!);
      const firstWrite = siteWrites.length;
      await expect(handlePublishEvent(deps, event, new Date())).rejects.toThrow();
      ddbFaults.clear();
      s3Faults.clear();
      const writtenByFailedRun = siteWrites.slice(firstWrite);

      // Each file is the old or the new version, never a mix: the chain is the old or the new one.
      await h.assertSiteWellFormed();
      const during = await chainIds();
      expect([before.length, before.length + 1]).toContain(during.length);
      // The failed run let go of the lease: the retry does not wait for it to expire.
      expect((await h.ledger.tryLease("probe", Date.now(), 1000)).acquired).toBe(true);
      await h.ledger.releaseLease("probe");

      const invalidationsBefore = h.invalidations.length;
      const report = await handlePublishEvent(h.publishDeps, event, new Date());
      expect(report).toBeDefined();
      const invalidated = h.invalidations.slice(invalidationsBefore).flat();
      for (const key of writtenByFailedRun) expect(invalidated, `${key} was written by the failed run`).toContain(`/${key}`);
      if (writtenByFailedRun.length > 0) expect(report?.recovered ?? []).toEqual(expect.arrayContaining(writtenByFailedRun.filter((k) => !report?.written.includes(k))));
      expect(await h.ledger.pendingPaths()).toEqual([]);
      await expectPublishedOnce(slug);
      expect(h.pings.at(-1)).toEqual(expect.arrayContaining([`${BASE}/feed.xml`, `${BASE}/atom.xml`, `${BASE}/feed.json`]));
    },
  );
});

describe("recovery runs", () => {
  it("two recoveries of the same leftover paths, both writing nothing, use different invalidation references", async () => {
    const refs: string[] = [];
    for (let i = 0; i < 2; i++) {
      await h.ledger.addPending(["feed.xml", "atom.xml"]);
      const report = await publish(h.publishDeps, new Date(), { everything: true });
      expect(report.written).toEqual([]);
      expect(report.recovered).toEqual(["atom.xml", "feed.xml"]);
      expect(h.invalidations.at(-1)).toEqual(["/atom.xml", "/feed.xml"]);
      refs.push(h.invalidationRefs.at(-1)!);
    }
    expect(refs[0]).not.toBe(refs[1]);
  });
});

describe("a publish that writes more files than the pending set lists", () => {
  it("records `*`; when it dies, the retry invalidates /* and pings every current feed", async () => {
    await h.upload("site.yaml", SITE_YAML.replace("title: Faults", "title: Faults, renamed"));
    await h.ingest(h.takeEvents());
    const event = h.takeStream(); // the site changed: every feed and page is rewritten
    s3Faults.fail({ command: "PutObjectCommand", skip: 10, when: (i) => i.Bucket === SITE });
    await expect(handlePublishEvent({ ...h.publishDeps, maxListedPending: 5 }, event, new Date())).rejects.toThrow(InjectedFault);
    s3Faults.clear();
    expect(await h.ledger.pendingPaths()).toContain("*");

    const invalidationsBefore = h.invalidations.length;
    const report = await handlePublishEvent({ ...h.publishDeps, maxListedPending: 5 }, event, new Date());
    expect(report?.recovered).toContain("*");
    expect(h.invalidations.slice(invalidationsBefore)).toEqual([["/*"]]);
    expect(h.pings.at(-1)).toEqual(expect.arrayContaining([`${BASE}/atom.xml`, `${BASE}/categories/news/feed.json`, `${BASE}/authors/jane/feed.xml`]));
    expect(await h.ledger.pendingPaths()).toEqual([]);
    expect(child(parseXmlStrict(await h.siteText("atom.xml")), "title").text).toBe("Faults, renamed");
    await h.assertSiteWellFormed();
  });
});

/**
 * The lease's clock, moved by the test: `sleep` advances it instead of waiting, so a lease
 * expiring or a publisher waiting for one costs no real time.
 */
function manualClock() {
  let t = Date.now();
  return { clock: () => t, sleep: async (ms: number) => { t += ms; }, advance: (ms: number) => { t += ms; } };
}

/** The store's ledger, telling the test about each lease attempt and renewal. */
function observedLedger(store: PublishLedger, on: { tryLease?: () => void; renewLease?: () => void }): PublishLedger {
  return {
    tryLease: (...a) => { on.tryLease?.(); return store.tryLease(...a); },
    renewLease: async (...a) => { const ok = await store.renewLease(...a); on.renewLease?.(); return ok; },
    releaseLease: (...a) => store.releaseLease(...a),
    addPending: (...a) => store.addPending(...a),
    pendingPaths: () => store.pendingPaths(),
    clearPending: (...a) => store.clearPending(...a),
    lastPublished: () => store.lastPublished(),
    setLastPublished: (...a) => store.setLastPublished(...a),
    layouts: (...a) => store.layouts(...a),
    archivePages: (...a) => store.archivePages(...a),
    saveLayout: (...a) => store.saveLayout(...a),
    rebuildCursor: () => store.rebuildCursor(),
    setRebuildCursor: (...a) => store.setRebuildCursor(...a),
  };
}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

/** A site writer that logs and records every atom.xml it writes, optionally held at a gate. */
function observedWriter(inner: SiteWriter, name: string, log: string[], history: string[][], hold?: { at: "hashes" | "write"; gate: Promise<void>; reached: () => void; paths?: readonly string[] }): SiteWriter {
  return {
    hashes: async (paths) => {
      if (hold?.at === "hashes") { hold.reached(); await hold.gate; }
      return inner.hashes(paths);
    },
    write: async (file, hash) => {
      if (hold?.at === "write" && (!hold.paths || hold.paths.includes(file.path))) { hold.reached(); await hold.gate; }
      await inner.write(file, hash);
      log.push(`${name} wrote ${file.path}`);
      if (file.path === "atom.xml" && typeof file.body === "string") history.push(atomIds(file.body));
    },
    remove: (path) => inner.remove(path),
  };
}

/** Articles are only added here, each newer than the last: every atom.xml written keeps the previous one's newest entry. */
function expectNeverBackwards(history: string[][]): void {
  for (let i = 1; i < history.length; i++) {
    expect(history[i], `atom.xml write ${i} lost the newest entry of write ${i - 1}`).toContain(history[i - 1]![0]);
  }
}

describe("publishers racing", () => {
  it("a publisher keeps its lease while it waits for a slow CloudFront invalidation", async () => {
    const time = manualClock();
    const lease = { leaseMs: 300, clock: time.clock };
    let renewals = 0;
    const ledger = observedLedger(h.ledger, { renewLease: () => { renewals++; } });
    await h.upload(keyOf("slow-cdn"), articleText("slow-cdn"));
    await h.ingest(h.takeEvents());
    const started = deferred();
    const finish = deferred();
    const slow: Invalidator = { invalidate: async () => { started.resolve(); await finish.promise; } };
    const running = handlePublishEvent({ ...h.publishDeps, ledger, invalidator: slow, lease }, h.takeStream(), new Date());
    await started.promise;
    // Three lease lengths pass on the lease's clock, in steps after each of which the
    // renewal timer (real, every 50 ms) finds the lease due and renews it.
    for (let step = 0; step < 6; step++) {
      const before = renewals;
      time.advance(150);
      await vi.waitFor(() => expect(renewals).toBeGreaterThan(before), { timeout: 5000, interval: 5 });
    }
    // Still held, not free to take.
    expect((await h.ledger.tryLease("probe", time.clock(), 1000)).acquired).toBe(false);
    finish.resolve();
    expect((await running)?.written).toContain("atom.xml");
    expect(await h.ledger.pendingPaths()).toEqual([]);
  });

  it("a second publish waits for the first, then reads fresh data: the feed never goes backwards", async () => {
    const log: string[] = [];
    const history: string[][] = [];
    const base = h.publishDeps.writer;
    const gate = deferred();
    const reached = deferred();
    const secondTried = deferred();

    await h.upload(keyOf("race-1"), articleText("race-1"));
    await h.ingest(h.takeEvents());
    const first = publish({ ...h.publishDeps, writer: observedWriter(base, "P1", log, history, { at: "write", gate: gate.promise, reached: reached.resolve, paths: ["feed.xml", "atom.xml", "feed.json"] }) }, new Date(), { everything: true });
    await reached.promise; // P1 has read the site feed (race-1 newest) and is about to write it

    await h.upload(keyOf("race-2"), articleText("race-2"));
    await h.ingest(h.takeEvents());
    const observedStore = new Proxy(h.store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === "function" ? (...args: unknown[]) => { log.push("P2 read"); return (v as (...a: unknown[]) => unknown).apply(target, args); } : v;
      },
    });
    const ledger = observedLedger(h.ledger, { tryLease: secondTried.resolve });
    const second = publish({ ...h.publishDeps, ledger, store: observedStore, writer: observedWriter(base, "P2", log, history) }, new Date(), { everything: true });
    await secondTried.promise; // P2 asked for the lease while P1 holds it
    gate.resolve();
    await Promise.all([first, second]);

    // P2 read nothing until P1 had written everything.
    expect(log.indexOf("P2 read")).toBeGreaterThan(log.findLastIndex((l) => l.startsWith("P1 wrote")));
    expect(history.length).toBeGreaterThanOrEqual(2);
    expectNeverBackwards(history);
    expect(atomIds(await h.siteText("atom.xml")).slice(0, 2)).toEqual([idOf("race-2"), idOf("race-1")]);
    await expectPublishedOnce("race-2");
  });

  it("a publisher that stalls past its lease is replaced, and stops instead of writing its older data", async () => {
    const log: string[] = [];
    const history: string[][] = [];
    const base = h.publishDeps.writer;
    const gate = deferred();
    const reached = deferred();
    // One clock for both publishers: P2's waits move it past P1's lease.
    const time = manualClock();
    const lease = { leaseMs: 300, clock: time.clock, sleep: time.sleep };

    await h.upload(keyOf("stall-1"), articleText("stall-1"));
    await h.ingest(h.takeEvents());
    // P1 reads (stall-1 is the newest) and stalls before writing, e.g. a long GC pause.
    const stalled = publish({ ...h.publishDeps, lease, writer: observedWriter(base, "P1", log, history, { at: "hashes", gate: gate.promise, reached: reached.resolve }) }, new Date(), { everything: true });
    const outcome = stalled.then(() => "finished", (e: unknown) => e);
    await reached.promise;

    await h.upload(keyOf("stall-2"), articleText("stall-2"));
    await h.ingest(h.takeEvents());
    // P2 waits for P1's lease to expire, takes it, and publishes stall-2.
    await publish({ ...h.publishDeps, lease, writer: observedWriter(base, "P2", log, history) }, new Date(), { everything: true });
    expect(atomIds(await h.siteText("atom.xml"))[0]).toBe(idOf("stall-2"));

    gate.resolve();
    expect(await outcome).toBeInstanceOf(LeaseLostError);
    expect(log.filter((l) => l.startsWith("P1 wrote"))).toEqual([]);
    expect(atomIds(await h.siteText("atom.xml"))[0]).toBe(idOf("stall-2"));
    expectNeverBackwards(history);
    await expectPublishedOnce("stall-2");
  });

  it("a publisher that died holding the lease delays the next one until the lease expires, no longer", async () => {
    const time = manualClock();
    await h.ledger.tryLease("crashed-publisher", time.clock(), 400);
    let attempts = 0;
    const ledger = observedLedger(h.ledger, { tryLease: () => { attempts++; } });
    await h.upload(keyOf("after-crash"), articleText("after-crash"));
    await h.ingest(h.takeEvents());
    const report = await handlePublishEvent({ ...h.publishDeps, ledger, lease: { clock: time.clock, sleep: time.sleep } }, h.takeStream(), new Date());
    expect(attempts).toBeGreaterThan(1);
    expect(report?.written).toContain("atom.xml");
    await expectPublishedOnce("after-crash");
  });

  it("a lease held longer than the publisher will wait fails the publish with a message naming the holder; nothing is written", async () => {
    await h.ledger.tryLease("long-runner", Date.now(), 60_000);
    await h.upload(keyOf("busy"), articleText("busy"));
    await h.ingest(h.takeEvents());
    const event = h.takeStream();
    const writes = siteWrites.length;
    const time = manualClock();
    await expect(handlePublishEvent({ ...h.publishDeps, lease: { maxWaitMs: 200, clock: time.clock, sleep: time.sleep } }, event, new Date()))
      .rejects.toThrow(/another publisher \(long-runner\) held the publish lease for \d+ ms; this publish will be retried/);
    expect(siteWrites.length).toBe(writes);
    await h.ledger.releaseLease("long-runner");
    await republish(event);
    await expectPublishedOnce("busy");
  });
});
