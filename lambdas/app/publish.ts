import { SiteNotConfiguredError } from "../core/errors.js";
import { INDEX_PAGE, isArchivePath, isCurrentFeedPath, OPML } from "../contracts/paths.js";
import { indexSk, PUBLISH_BATCH_SIZE } from "../contracts/table.js";
import { DELETED_ENTRY_DAYS, FEED_FILES, feedKey, feedKeyOfPath, feedKeysOf, feedPath, parseFeedKey, SITE_FEED, siteUrl, type FeedFormat } from "../core/feeds.js";
import type { FeedEntry, FeedInfo } from "../core/model.js";
import { renderIndexHtml, renderOpml } from "../core/pages.js";
import type { ContentStore, HubNotifier, Invalidator, PublishLedger, SiteAssets, SiteFile, SiteWriter } from "../core/ports.js";
import { siteFile } from "../core/site-files.js";
import { sha256 } from "./hash.js";
import { buildFeed } from "./feed-documents.js";
import { PublishLease, type LeaseOptions } from "./lease.js";

/**
 * Publish: rebuild the feeds a change affects, from the store's feed index (one Query
 * of N items per feed, whatever the archive size), and write only files whose bytes
 * changed. Then invalidate those paths and ping the hubs.
 *
 * Faults: a publisher takes the publish lease before it reads anything (`lease.ts`), so
 * two publishers never interleave and an older render never lands after a newer one.
 * Paths are recorded as pending before they are written and cleared only after they
 * are invalidated and announced, so a publish that dies half-way leaves them to the
 * next one, which finds the files already current (it writes nothing) but still
 * invalidates and announces them.
 */

export interface PublishDeps {
  readonly store: ContentStore;
  /** The lease, pending paths and publisher state. */
  readonly ledger: PublishLedger;
  readonly writer: SiteWriter;
  readonly invalidator?: Invalidator;
  readonly hubs?: HubNotifier;
  /** Static files (the Urdu font) written with index.html when their bytes differ. @default none */
  readonly assets?: SiteAssets;
  readonly lease?: LeaseOptions;
  /** @default MAX_LISTED_PENDING */
  readonly maxListedPending?: number;
}

export interface PublishOptions {
  /**
   * Render every feed and every archive page from the table (a full rebuild; the marks
   * are still cleared). A rebuild that a stopped run left under way is started over.
   */
  readonly everything?: boolean;
  /**
   * Time left to this run (ms; on Lambda, `context.getRemainingTimeInMillis`). A full
   * rebuild stops between feeds when less than `stopBeforeMs` is left, and the next run
   * (the schedule, or any stream batch) continues after the last feed it finished.
   */
  readonly timeLeftMs?: () => number;
  /** @default 120_000: enough for the index page, the invalidation and the hub pings. */
  readonly stopBeforeMs?: number;
  /**
   * Coalesce while a large backlog of marks is still growing (see `BacklogRule`). Set by
   * the Lambda handler; absent (a local build, an operator's run), every run renders all.
   */
  readonly backlog?: BacklogRule;
  /** Stream records that woke this run (the handler's batch): a full batch is a backlog too. */
  readonly streamRecords?: number;
}

/**
 * When a run defers archive pages: at least `marks` marks pending, or a full stream batch
 * (`fullBatch` records) woke it, and the newest mark was written less than `quietMs` ago.
 * A publisher that keeps pace with the stream never sees many marks pending, but is
 * handed full batches one after another. That is the first upload of a large archive (thousands of files in
 * minutes, ~3.5 marks each), not an editor's change (a few marks): such a run renders the
 * current documents of the marked feeds only and leaves every mark in place, so each
 * archive page is built about once, by the first run after ingest has gone quiet, instead
 * of once per stream batch that touched it (a migration inserts at random dates all over
 * the archive). Nothing is lost: the marks stay until their pages are rendered, and the
 * handler runs again until the backlog is quiet (`lambdas/publish.ts`).
 */
export interface BacklogRule {
  /** Pending marks from which a backlog is large. */
  readonly marks: number;
  /** Stream records of a full batch (the event source mapping's batch size). */
  readonly fullBatch: number;
  /** A mark younger than this (ms) means ingest is still writing. */
  readonly quietMs: number;
  /** How long the handler waits between the runs of a backlog (ms): current feeds are rendered about this often meanwhile. */
  readonly pauseMs: number;
}

/**
 * 300 marks: about 90 articles pending at once, far above one editor's change; a full
 * batch of 100 records: about 30 articles within the 5 s batching window. 10 s: the
 * stream's batching window (5 s) twice, so a trickle that still feeds the stream keeps
 * the backlog open. 20 s between runs: readers see the newest articles of a migration
 * within about that, and a 10-minute drain renders each current feed some 30 times.
 */
export const DEFAULT_BACKLOG: BacklogRule = { marks: 300, fullBatch: PUBLISH_BATCH_SIZE, quietMs: 10_000, pauseMs: 20_000 };

export interface PublishReport {
  /** Feeds rebuilt. */
  readonly feeds: number;
  /** Feed index items read. */
  readonly entriesRead: number;
  /** Archive pages rendered (written only when their bytes changed). */
  readonly pagesRendered?: number;
  /** Paths written (their bytes changed) or removed. */
  readonly written: readonly string[];
  /** Paths rendered but identical to what is stored. */
  readonly unchanged: number;
  /** Paths an earlier, failed publish wrote but did not invalidate; this run did. */
  readonly recovered?: readonly string[];
  /** A full rebuild ran out of time: the next run continues it after the last finished feed. */
  readonly incomplete?: boolean;
  /** Marks left in place for a later run: a large backlog was still growing (`BacklogRule`), its archive pages wait. */
  readonly deferred?: number;
  /** Earliest scheduled (future) article time, if any: publish again then. */
  readonly nextScheduled?: string;
  /** How long this run waited for the publish lease (ms, the lease's clock). */
  readonly leaseWaitMs?: number;
  /** How long the invalidation took, its wait for completion included (ms); absent when nothing was invalidated. */
  readonly invalidationMs?: number;
  /** WebSub hubs told of this run's changed feeds that still failed (the notifier's retries spent); 0 when none was told. */
  readonly hubFailures: number;
}

const WRITE_CONCURRENCY = 8;
/** The start of the window of retraction records a feed rendered at `iso` shows (as `buildFeed` reads them). */
const sinceOf = (iso: string): string => new Date(Date.parse(iso) - DELETED_ENTRY_DAYS * 86_400_000).toISOString();
/** Pending paths listed one by one at most; beyond, `*` (a full build of 10,000 articles writes 40,000 files). */
export const MAX_LISTED_PENDING = 1000;
/** The pending entry that means "every path". */
export const EVERYTHING = "*";

/**
 * Brings the site to what the table says: drains the dirty marks ingest left, adds the
 * feeds of articles that came due since the last complete publish, renders those feeds,
 * writes what changed, invalidates and announces it, and only then clears the marks and
 * moves the "last published" time. A publish that fails anywhere leaves the marks for the
 * next one, so the site converges whatever failed before.
 */
export async function publish(deps: PublishDeps, now: Date, options: PublishOptions = {}): Promise<PublishReport> {
  const lease = await PublishLease.acquire(deps.ledger, deps.lease);
  try {
    const report = await publishHoldingLease(deps, lease, now, options);
    return { ...report, leaseWaitMs: lease.waitedMs };
  } finally {
    await lease.release();
  }
}

async function publishHoldingLease(deps: PublishDeps, lease: PublishLease, now: Date, options: PublishOptions): Promise<PublishReport> {
  const { store, ledger } = deps;
  // The marks first: ingest writes what it changed (site, authors, feed registry, index)
  // before its mark, so whatever a mark read here announces, the reads below see. Read
  // together, the site could be read before an ingest's write and its mark after, and the
  // mark cleared with the change never rendered.
  const marks = await store.dirtyMarks();
  const [site, registry, authors, leftOver, last, underWay] = await Promise.all([
    store.getSite(), store.listFeeds(), store.listAuthors(), ledger.pendingPaths(), ledger.lastPublished(), ledger.rebuildCursor(),
  ]);
  if (!site) throw new SiteNotConfiguredError();
  const nowIso = now.toISOString();
  const known = new Map(registry.map((f) => [feedKey(f), f]));
  known.set("site", { ...SITE_FEED, title: site.title });
  // Author feeds take their title from the author file, which may have changed.
  for (const [k, f] of known) if (f.kind === "author") known.set(k, { ...f, title: authors.get(f.slug)?.name ?? f.title });

  // What to render: the marked feeds and days, and the feeds of articles that came due
  // since the last complete publish (however late this run is).
  // A full rebuild: asked for, marked (`*`: site.yaml or an author changed), after a failed
  // publish that wrote too many paths to list, or one a stopped run left under way. It
  // continues after the last feed finished, unless a new request came since.
  const star = marks.find((m) => m.feed === EVERYTHING);
  const cursor = options.everything || (underWay && star && star.token !== underWay.token) ? undefined : underWay;
  const everything = options.everything === true || star !== undefined || leftOver.includes(EVERYTHING) || cursor !== undefined;
  const rebuildToken = star?.token ?? cursor?.token ?? "full";
  const finished = (k: string) => cursor !== undefined && k <= cursor.after;
  const plan = new Map<string, Set<string>>();
  const mark = (feed: string, at?: string) => {
    const keys = plan.get(feed) ?? new Set<string>();
    if (at) keys.add(at);
    plan.set(feed, keys);
  };
  for (const m of marks) if (m.feed !== EVERYTHING) mark(m.feed, m.at);
  // A publish that failed after recording paths may have written pages of a layout it
  // never stored: every page of those feeds is rendered again, strays removed.
  const recover = new Set(leftOver.filter(isArchivePath).map(feedKeyOfPath));
  for (const k of recover) mark(k);
  // Feeds planned for a reason no stored mark keeps (recovery, articles that came due,
  // retraction windows) are rendered in full even in a backlog: nothing would bring them back.
  const urgent = new Set(recover);
  // A run whose clock is behind the last one's (another Lambda, a local build) takes out
  // what the later clock put in: the same range, the other way round.
  if (last && last !== nowIso) {
    const [from, to] = last < nowIso ? [last, nowIso] : [nowIso, last];
    for (const e of await store.queryFeedRange("site", from, to)) {
      for (const f of feedKeysOf({ ...e, draft: false })) {
        mark(f, indexSk(e));
        urgent.add(f);
      }
    }
  }
  // Retraction records (RFC 6721) leave a feed's documents 30 days after they were made,
  // with no event: the feeds holding one that crossed the window since the last publish.
  if (last && last !== nowIso && !everything) {
    const [from, to] = [sinceOf(last), sinceOf(nowIso)].sort() as [string, string];
    for (const k of known.keys()) {
      if (!plan.has(k) && (await store.queryDeleted(k, from)).some((d) => d.when < to)) {
        mark(k);
        urgent.add(k);
      }
    }
  }
  const targets: FeedInfo[] = everything
    ? [...known.values()].sort((a, b) => (feedKey(a) < feedKey(b) ? -1 : 1)).filter((f) => !finished(feedKey(f)) || plan.has(feedKey(f)))
    : [...plan.keys()].sort().map((k) => known.get(k) ?? { ...parseFeedKey(k), title: parseFeedKey(k).slug });
  if (targets.length === 0 && leftOver.length === 0 && !everything) {
    await ledger.setLastPublished(nowIso);
    return { feeds: 0, entriesRead: 0, written: [], unchanged: 0, hubFailures: 0 };
  }
  const layouts = await ledger.layouts(targets.map(feedKey));
  // A large backlog still growing: archive pages wait for it to go quiet (`BacklogRule`).
  const newestMark = marks.reduce((t, m) => (m.time && m.time > t ? m.time : t), "");
  const rule = options.backlog;
  const large = rule !== undefined && (marks.length >= rule.marks || (options.streamRecords ?? 0) >= rule.fullBatch);
  const backlog = !everything && large && newestMark !== "" && now.getTime() - Date.parse(newestMark) < rule.quietMs;
  const deferred = new Set<string>();

  // Each feed's files are written as soon as they are rendered, so memory holds one
  // feed at a time however many feeds a change touches.
  const written: string[] = [];
  const references: string[] = [];
  let total = 0;
  const pending = new PendingPaths(ledger, leftOver, deps.maxListedPending ?? MAX_LISTED_PENDING);
  const guard: WriteGuard = {
    beforeWrite: async (paths) => {
      await lease.check();
      await pending.record(paths);
    },
    beforeEach: () => lease.check(),
  };
  const write = async (files: readonly SiteFile[], remove: readonly string[] = []) => {
    const r = await writeChanged(deps.writer, files, guard, remove);
    written.push(...r.written);
    if (r.written.length > 0) references.push(r.reference);
    total += files.length;
  };
  let entriesRead = 0;
  let pagesRendered = 0;
  let latest: FeedEntry[] | undefined;
  let incomplete = false;
  let rebuilt = 0;
  for (const feed of targets) {
    const k = feedKey(feed);
    const full = everything && !finished(k);
    // Out of time: stop between feeds (after at least one, so every run makes progress).
    if (full && rebuilt > 0 && options.timeLeftMs && options.timeLeftMs() < (options.stopBeforeMs ?? 120_000)) {
      incomplete = true;
      break;
    }
    const build = await buildFeed({
      store,
      pages: () => ledger.archivePages(k),
      emit: (files, remove) => write(files, remove),
      save: async (layout, put, removed) => {
        await lease.check();
        await ledger.saveLayout(k, layout, put, removed);
      },
    }, {
      site, feed, authors, now, changed: [...(plan.get(k) ?? [])], layout: layouts.get(k),
      allPages: full || recover.has(k),
      ...(backlog && !urgent.has(k) ? { deferArchive: true } : {}),
    });
    if (backlog && !urgent.has(k)) deferred.add(k);
    if (full) {
      // Progress survives a run killed at its timeout: the next one starts after this feed.
      await lease.check();
      await ledger.setRebuildCursor({ token: rebuildToken, after: k });
      rebuilt++;
    }
    entriesRead += build.entriesRead;
    pagesRendered += build.pagesRendered;
    if (feed.kind === "site") latest = build.current;
  }
  if (!latest) {
    latest = await store.queryFeed("site", nowIso, site.itemsPerFeed);
    entriesRead += latest.length;
  }
  const pages = { site, latest, feeds: [...known.values()], authors };
  // The static assets ride along: one more hash compared per publish, written only when missing or changed.
  const assets = (await deps.assets?.files()) ?? [];
  await write([siteFile(INDEX_PAGE, renderIndexHtml(pages)), siteFile(OPML, renderOpml(pages)), ...assets]);

  const announce = pending.toAnnounce(written);
  let invalidationMs: number | undefined;
  let hubFailures = 0;
  if (announce.length > 0) {
    // The reference names this run (its lease owner) as well as the bytes: CloudFront
    // ignores a second invalidation with a reference it has seen, and a recovery run that
    // writes nothing would otherwise repeat the reference of an earlier recovery.
    const reference = sha256([lease.owner, ...references, ...leftOver].join("\n")).slice(0, 40);
    await lease.whileHeld(async () => {
      const clock = deps.lease?.clock ?? Date.now;
      const started = clock();
      await deps.invalidator?.invalidate(announce.map((p) => `/${p}`), reference);
      if (deps.invalidator) invalidationMs = clock() - started;
      // Hubs are told about current feeds only; archive pages are not subscribed to.
      const feedFiles = pending.everything
        ? [...known.values()].flatMap((f) => Object.keys(FEED_FILES).map((format) => feedPath(f, format as FeedFormat)))
        : announce.filter(isCurrentFeedPath);
      const feedUrls = feedFiles.map((p) => siteUrl(site, p));
      const hubs = feedUrls.length > 0 && site.hubs.length > 0 ? ((await deps.hubs?.notify(site.hubs, feedUrls)) ?? []) : [];
      hubFailures = hubs.filter((h) => !h.ok).length;
    });
    await pending.clear();
  }
  if (incomplete) {
    // The marks stay, and the cursor says where the next run continues.
    return {
      feeds: rebuilt, entriesRead, pagesRendered, written, unchanged: total - written.length, incomplete: true, hubFailures,
      ...(leftOver.length > 0 ? { recovered: leftOver } : {}),
      ...(invalidationMs !== undefined ? { invalidationMs } : {}),
    };
  }
  // Only now is the table's state on the site: remember it, clear what was drained (the
  // marks of deferred feeds stay for the run that renders their archive pages).
  const cleared = deferred.size > 0 ? marks.filter((m) => !deferred.has(m.feed)) : marks;
  if (cleared.length > 0) await store.clearDirty(cleared);
  if (everything && (underWay || rebuilt > 0)) await ledger.setRebuildCursor(undefined);
  // The site now shows the table as of `now`, even if an earlier run used a later clock.
  await ledger.setLastPublished(nowIso);
  const nextScheduled = await store.nextScheduled("site", nowIso);
  return {
    feeds: targets.length, entriesRead, pagesRendered, written, unchanged: total - written.length,
    ...(leftOver.length > 0 ? { recovered: leftOver } : {}),
    ...(nextScheduled ? { nextScheduled } : {}),
    ...(cleared.length < marks.length ? { deferred: marks.length - cleared.length } : {}),
    ...(invalidationMs !== undefined ? { invalidationMs } : {}),
    hubFailures,
  };
}

/**
 * The paths written but not yet invalidated and announced, as this run sees them: what
 * failed runs left (`leftOver`) plus what this run records before writing. Paths are
 * listed one by one up to `max` (the DynamoDB item stays far below 400 KB), leftovers
 * included so crashed runs cannot grow the set without bound; past it, `*` stands for
 * "everything" and the invalidation is `/*`.
 */
class PendingPaths {
  /** Exactly what this run added; only that and the leftovers are cleared. */
  private readonly added: string[] = [];

  constructor(private readonly ledger: PublishLedger, private readonly leftOver: readonly string[], private readonly max: number) {}

  get everything(): boolean {
    return this.leftOver.includes(EVERYTHING) || this.added.includes(EVERYTHING);
  }

  async record(paths: readonly string[]): Promise<void> {
    if (this.everything) return;
    const next = this.leftOver.length + this.added.length + paths.length > this.max ? [EVERYTHING] : paths;
    await this.ledger.addPending(next);
    this.added.push(...next);
  }

  /** What to invalidate: this run's writes and the leftovers, or `*`. */
  toAnnounce(written: readonly string[]): string[] {
    return this.everything ? [EVERYTHING] : [...new Set([...this.leftOver, ...written])].sort();
  }

  async clear(): Promise<void> {
    await this.ledger.clearPending([...new Set([...this.leftOver, ...this.added])]);
  }
}

/** Called by `writeChanged` before it writes. */
export interface WriteGuard {
  /** Once, with every path about to be written. */
  beforeWrite(paths: readonly string[]): Promise<void>;
  /** Before each group of concurrent writes. */
  beforeEach(): Promise<void>;
}

/**
 * Writes files whose SHA-256 differs from the stored one; returns their paths and a
 * reference naming exactly these bytes (the invalidation's idempotency key).
 */
export async function writeChanged(writer: SiteWriter, files: readonly SiteFile[], guard?: WriteGuard, remove: readonly string[] = []): Promise<{ written: string[]; reference: string }> {
  const current = await writer.hashes([...files.map((f) => f.path), ...remove]);
  const todo = files.map((f) => ({ file: f, hash: sha256(f.body) })).filter(({ file, hash }) => current.get(file.path) !== hash);
  const gone = remove.filter((p) => current.has(p));
  const changed = [...todo.map(({ file }) => file.path), ...gone];
  if (changed.length > 0) await guard?.beforeWrite(changed);
  for (let i = 0; i < todo.length; i += WRITE_CONCURRENCY) {
    if (i > 0) await guard?.beforeEach();
    await Promise.all(todo.slice(i, i + WRITE_CONCURRENCY).map(({ file, hash }) => writer.write(file, hash)));
  }
  for (const p of gone) await writer.remove(p);
  return { written: changed, reference: sha256([...todo.map(({ file, hash }) => `${file.path} ${hash}`), ...gone.map((p) => `${p} -`)].join("\n")).slice(0, 40) };
}
