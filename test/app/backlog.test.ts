import { describe, expect, it } from "vitest";
import { MemorySite } from "../../lambdas/adapters/memory-site.js";
import { DEFAULT_BACKLOG, publish, type PublishDeps, type PublishOptions, type PublishReport } from "../../lambdas/app/publish.js";
import { isArchivePath } from "../../lambdas/contracts/paths.js";
import { PUBLISH_TRIGGER } from "../../lambdas/contracts/table.js";
import type { ContentStore, PublishLedger, SiteFile, SiteWriter } from "../../lambdas/core/ports.js";
import { handlePublishEvent } from "../../lambdas/publish.js";
import { articleText } from "../support/builders.js";
import { layoutCopy } from "../support/layout-copy.js";
import { AUTHOR_MD, memoryPipeline } from "../support/memory-pipeline.js";

/**
 * Coalescing while a large backlog drains (`BacklogRule` in lambdas/app/publish.ts), on the
 * memory adapters with a fake clock that stamps the dirty marks: one upload still publishes
 * everything at once; a migration's burst renders current feeds only while its marks are
 * fresh and builds each archive page once when ingest goes quiet; nothing is lost on the way.
 */

const SITE = "title: Test News\nbaseUrl: https://feeds.example.com\nitemsPerFeed: 5\narchivePageSize: 10\nid: \"tag:example.com,2026:\"\n";
const CATEGORIES = ["News", "Tech", "Sport"];
const T0 = Date.parse("2024-07-01T00:00:00Z");
const RULE: PublishOptions = { backlog: DEFAULT_BACKLOG };

/** Article i of a migration: dated all over 2020-2023 in an order unrelated to i (as an archive's files are). */
const dateOf = (i: number) => new Date(Date.UTC(2020, 0, 1) + ((i * 7919) % 1400) * 86_400_000 + (i % 24) * 3_600_000).toISOString();
const text = (i: number, o: { title?: string; date?: string } = {}) =>
  articleText({ frontMatter: { title: o.title ?? `Story ${i}`, author: "jane-doe", date: o.date ?? dateOf(i), categories: [CATEGORIES[i % 3]!] } });

/** A site writer that counts the writes of each path. */
function counting(site: MemorySite): { writer: SiteWriter; writes: Map<string, number> } {
  const writes = new Map<string, number>();
  return {
    writes,
    writer: {
      hashes: (paths) => site.hashes(paths),
      write: async (file: SiteFile, hash: string) => {
        writes.set(file.path, (writes.get(file.path) ?? 0) + 1);
        await site.write(file, hash);
      },
      remove: (path) => site.remove(path),
    },
  };
}

const archiveWrites = (writes: ReadonlyMap<string, number>) => [...writes].filter(([p]) => isArchivePath(p)).reduce((n, [, k]) => n + k, 0);

/** Every file of the site against a full rebuild from the table at `now` (into memory, marks and state left alone). */
async function expectEqualToRebuild(site: MemorySite, store: ContentStore, ledger: PublishLedger, now: Date): Promise<void> {
  const rebuilt = new MemorySite();
  const readOnly = new Proxy(store, { get: (t, p) => (p === "clearDirty" ? async () => undefined : (Reflect.get(t, p) as (...a: unknown[]) => unknown).bind(t)) });
  await publish({ store: readOnly, ledger: await layoutCopy(ledger, store), writer: rebuilt }, now, { everything: true });
  expect(site.paths().sort()).toEqual(rebuilt.paths().sort());
  for (const p of site.paths()) if (!p.startsWith("fonts/")) expect(site.read(p)!.body, p).toBe(rebuilt.read(p)!.body);
}

/** A pipeline whose marks are stamped by the clock `t`, with the site and its author published. */
async function setUp() {
  const clock = { t: T0 };
  const p = memoryPipeline({ clock: () => clock.t });
  const { writer, writes } = counting(p.site);
  const deps: PublishDeps = { ...p.publishDeps, writer };
  await p.put("site.yaml", SITE);
  await p.put("authors/jane-doe.md", AUTHOR_MD);
  await publish(deps, new Date(clock.t), RULE);
  writes.clear();
  const put = async (from: number, to: number) => { for (let i = from; i < to; i++) await p.put(`articles/a${i}.md`, text(i)); };
  return { p, clock, deps, writes, put, now: () => new Date(clock.t) };
}

const atomTitles = (site: MemorySite, dir = "") => [...site.read(`${dir}atom.xml`)!.body.matchAll(/<entry>[\s\S]*?<title[^>]*>([^<]*)<\/title>/g)].map((m) => m[1]);

describe("publishing while a large backlog of marks drains", () => {
  it("one upload publishes at once with the rule on, its archive page included: a few marks are never a backlog, however fresh", async () => {
    const s = await setUp();
    await s.put(0, 60);
    s.clock.t += 60_000;
    expect((await publish(s.deps, s.now(), RULE)).deferred).toBeUndefined();
    // A new article (the newest), and a back-dated one (into the middle of the archive), each at once, marks 0 ms old.
    for (const [i, date] of [[1000, "2024-01-01T10:00:00.000Z"], [1001, "2020-06-01T10:00:00.000Z"]] as const) {
      s.writes.clear();
      s.clock.t += 1000;
      await s.p.put(`articles/a${i}.md`, text(i, { date }));
      const report = await publish(s.deps, s.now(), RULE);
      expect(report.deferred).toBeUndefined();
      expect(await s.p.store.dirtyMarks()).toEqual([]);
      await expectEqualToRebuild(s.p.site, s.p.store, s.p.ledger, s.now());
    }
    expect(archiveWrites(s.writes), "the back-dated article's archive page").toBeGreaterThan(0);
    expect(atomTitles(s.p.site)[0]).toBe("Story 1000");
  });

  it("a burst coalesces: runs with 300+ fresh marks render current feeds only and keep every mark; the first quiet run writes each archive page once", async () => {
    const s = await setUp();
    const reports: PublishReport[] = [];
    // Four stream-triggered runs, each after 120 more articles (360 marks), 2 s apart: ingest is still writing.
    for (let chunk = 0; chunk < 4; chunk++) {
      await s.put(chunk * 120, (chunk + 1) * 120);
      s.clock.t += 2000;
      reports.push(await publish(s.deps, s.now(), RULE));
      // Readers see the newest articles of the migration meanwhile.
      const ingested = Array.from({ length: (chunk + 1) * 120 }, (_, i) => i).sort((a, b) => (dateOf(b) < dateOf(a) ? -1 : 1));
      expect(atomTitles(s.p.site)).toEqual(ingested.slice(0, 5).map((i) => `Story ${i}`));
    }
    expect(reports.map((r) => r.deferred)).toEqual([360, 720, 1080, 1440]);
    expect((await s.p.store.dirtyMarks()).length).toBe(1440);
    expect(archiveWrites(s.writes), "no archive page while the backlog grows").toBe(0);
    expect(reports.every((r) => r.pagesRendered === 0)).toBe(true);

    // Ingest has been quiet for the rule's quietMs: this run renders the archive, and clears the marks.
    s.clock.t += DEFAULT_BACKLOG.quietMs;
    const quiet = await publish(s.deps, s.now(), RULE);
    expect(quiet.deferred).toBeUndefined();
    expect(await s.p.store.dirtyMarks()).toEqual([]);
    const pages = [...s.writes].filter(([p]) => isArchivePath(p));
    expect(pages.length).toBeGreaterThan(100);
    expect(pages.filter(([, n]) => n !== 1), "archive files written more than once").toEqual([]);
    expect(s.p.site.paths().filter(isArchivePath).length).toBe(pages.length);
    await expectEqualToRebuild(s.p.site, s.p.store, s.p.ledger, s.now());

    // The same burst with the rule off: every run rewrites the pages it touches.
    const off = await setUp();
    for (let chunk = 0; chunk < 4; chunk++) {
      await off.put(chunk * 120, (chunk + 1) * 120);
      off.clock.t += 2000;
      expect((await publish(off.deps, off.now())).deferred).toBeUndefined();
    }
    // (Its pages were cut by splits as the archive grew: it ends with other, more pages than one cut.)
    const offFiles = off.p.site.paths().filter(isArchivePath).length;
    expect(archiveWrites(off.writes)).toBeGreaterThan(2 * offFiles);
    expect(archiveWrites(off.writes)).toBeGreaterThan(2 * pages.length);
  });

  it("nothing is lost: edits, deletes and back-dates during a backlog, and marks made again while it drains, all reach the site, which ends equal to a rebuild", async () => {
    const s = await setUp();
    await s.put(0, 120);
    s.clock.t += 1000;
    expect((await publish(s.deps, s.now(), RULE)).deferred).toBe(360);
    // During the backlog: an edit, a delete, a back-date, and the edit's article edited again.
    await s.p.put("articles/a5.md", text(5, { title: "Story 5, corrected" }));
    await s.p.remove("articles/a7.md");
    await s.p.put("articles/a9.md", text(9, { date: "2019-03-01T00:00:00.000Z" }));
    s.clock.t += 1000;
    const second = await publish(s.deps, s.now(), RULE);
    expect(second.deferred).toBe((await s.p.store.dirtyMarks()).length);
    await s.p.put("articles/a5.md", text(5, { title: "Story 5, corrected twice" }));
    s.clock.t += DEFAULT_BACKLOG.quietMs;
    expect((await publish(s.deps, s.now(), RULE)).deferred).toBeUndefined();
    await expectEqualToRebuild(s.p.site, s.p.store, s.p.ledger, s.now());
    const all = s.p.site.paths().filter((p) => p.endsWith("atom.xml")).map((p) => s.p.site.read(p)!.body).join("\n");
    expect(all).toContain("Story 5, corrected twice");
    expect(all).not.toContain("Story 5, corrected<");
    expect(all).not.toMatch(/<title[^>]*>Story 7</);
  });

  it("the handler waits within its run (lease released) until ingest is quiet, so a deferred run is always followed by one that renders the archive", async () => {
    const s = await setUp();
    await s.put(0, 120);
    const logs: Record<string, unknown>[] = [];
    const sleeps: number[] = [];
    let chunk = 1;
    const report = await handlePublishEvent({
      ...s.deps,
      log: (fields) => logs.push(fields),
      clock: () => s.clock.t,
      // Ingest goes on while the publisher waits: two more chunks, then nothing.
      sleep: async (ms) => {
        sleeps.push(ms);
        s.clock.t += ms;
        if (chunk < 3) await s.put(chunk * 120, ++chunk * 120);
      },
    }, { Records: [] }, s.now());
    expect(sleeps).toEqual([DEFAULT_BACKLOG.pauseMs, DEFAULT_BACKLOG.pauseMs, DEFAULT_BACKLOG.pauseMs]);
    expect(logs.map((l) => l.deferred ?? 0)).toEqual([360, 720, 1080, 0]);
    expect(report?.deferred).toBeUndefined();
    expect(await s.p.store.dirtyMarks()).toEqual([]);
    expect([...s.writes].filter(([p, n]) => isArchivePath(p) && n !== 1)).toEqual([]);
    await expectEqualToRebuild(s.p.site, s.p.store, s.p.ledger, s.now());
  });

  it("a publisher that keeps pace with the stream sees few marks pending but full batches: a full batch with fresh marks is a backlog, a small one is not", async () => {
    const s = await setUp();
    await s.put(0, 40); // 120 marks: under the rule's 300
    const mark = { eventName: "INSERT", dynamodb: { Keys: { pk: { S: PUBLISH_TRIGGER.partitionKey } } } };
    const batch = (n: number) => ({ Records: Array.from({ length: n }, () => mark) }) as never;
    const logs: Record<string, unknown>[] = [];
    const deps = { ...s.deps, log: (fields: Record<string, unknown>) => logs.push(fields), clock: () => s.clock.t, sleep: async (ms: number) => { s.clock.t += ms; } };
    await handlePublishEvent(deps, batch(DEFAULT_BACKLOG.fullBatch), s.now());
    // Deferred, then rendered by the run after the wait (ingest quiet by then).
    expect(logs.map((l) => l.deferred ?? 0)).toEqual([120, 0]);
    expect([...s.writes].filter(([p, n]) => isArchivePath(p) && n !== 1)).toEqual([]);
    // One upload, its own small batch, marks 0 ms old: published at once, archive page included.
    logs.length = 0;
    s.writes.clear();
    s.clock.t += 1000;
    await s.p.put("articles/a999.md", text(999, { date: "2020-02-01T10:00:00.000Z" }));
    await handlePublishEvent(deps, batch(4), s.now());
    expect(logs.map((l) => l.deferred ?? 0)).toEqual([0]);
    expect(archiveWrites(s.writes)).toBeGreaterThan(0);
    await expectEqualToRebuild(s.p.site, s.p.store, s.p.ledger, s.now());
  });

  it("with no clock budget left for a wait, the handler returns with the marks in place for the next trigger (stream batch or schedule)", async () => {
    const s = await setUp();
    await s.put(0, 120);
    const report = await handlePublishEvent({ ...s.deps, log: () => undefined, sleep: async () => { throw new Error("must not wait"); } }, { Records: [] }, s.now(), () => 60_000);
    expect(report?.deferred).toBe(360);
    expect((await s.p.store.dirtyMarks()).length).toBe(360);
    // The schedule, after ingest went quiet, renders them.
    s.clock.t += DEFAULT_BACKLOG.quietMs;
    const scheduled = await handlePublishEvent({ ...s.deps, log: () => undefined }, { "detail-type": "Scheduled Event", source: "aws.events" } as never, s.now());
    expect(scheduled?.deferred).toBeUndefined();
    await expectEqualToRebuild(s.p.site, s.p.store, s.p.ledger, s.now());
  });
});
