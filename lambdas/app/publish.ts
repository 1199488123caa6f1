import { SiteNotConfiguredError } from "../core/errors.js";
import { INDEX_PAGE, isCurrentFeedPath, OPML } from "../contracts/paths.js";
import { FEED_FILES, feedInfosOf, feedKey, feedPath, parseFeedKey, SITE_FEED, siteUrl, type FeedFormat } from "../core/feeds.js";
import type { FeedEntry, FeedInfo } from "../core/model.js";
import { renderIndexHtml, renderOpml } from "../core/pages.js";
import type { ContentStore, HubNotifier, Invalidator, PublishLedger, SiteFile, SiteWriter } from "../core/ports.js";
import { siteFile } from "../core/site-files.js";
import { sha256 } from "./hash.js";
import type { Change } from "./change.js";
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
  /** The lease and pending paths; the DynamoDB store implements both ports. */
  readonly ledger: PublishLedger;
  readonly writer: SiteWriter;
  readonly invalidator?: Invalidator;
  readonly hubs?: HubNotifier;
  readonly lease?: LeaseOptions;
  /** @default MAX_LISTED_PENDING */
  readonly maxListedPending?: number;
}

export interface PublishReport {
  /** Feeds rebuilt. */
  readonly feeds: number;
  /** Feed index items read. */
  readonly entriesRead: number;
  /** Paths written (their bytes changed). */
  readonly written: readonly string[];
  /** Paths rendered but identical to what is stored. */
  readonly unchanged: number;
  /** Paths an earlier, failed publish wrote but did not invalidate; this run did. */
  readonly recovered?: readonly string[];
  /** Earliest scheduled (future) article time, if any: publish again then. */
  readonly nextScheduled?: string;
}

const WRITE_CONCURRENCY = 8;
/** Pending paths listed one by one at most; beyond, `*` (a full build of 10,000 articles writes 40,000 files). */
export const MAX_LISTED_PENDING = 1000;
/** The pending entry that means "every path". */
export const EVERYTHING = "*";

export async function publish(deps: PublishDeps, change: Change, now: Date): Promise<PublishReport> {
  const lease = await PublishLease.acquire(deps.ledger, deps.lease);
  try {
    return await publishHoldingLease(deps, lease, change, now);
  } finally {
    await lease.release();
  }
}

async function publishHoldingLease(deps: PublishDeps, lease: PublishLease, change: Change, now: Date): Promise<PublishReport> {
  const { store, ledger } = deps;
  const [site, registry, authors, leftOver] = await Promise.all([store.getSite(), store.listFeeds(), store.listAuthors(), ledger.pendingPaths()]);
  if (!site) throw new SiteNotConfiguredError();
  const nowIso = now.toISOString();
  const known = new Map(registry.map((f) => [feedKey(f), f]));
  known.set("site", { ...SITE_FEED, title: site.title });
  // Author feeds take their title from the author file, which may have changed.
  for (const [k, f] of known) if (f.kind === "author") known.set(k, { ...f, title: authors.get(f.slug)?.name ?? f.title });

  const targets: FeedInfo[] = change.all
    ? [...known.values()]
    : change.feeds.map((k) => known.get(k) ?? { ...parseFeedKey(k), title: parseFeedKey(k).slug });

  const changedByFeed = new Map<string, string[]>();
  for (const e of change.entries ?? []) changedByFeed.set(e.feed, [...(changedByFeed.get(e.feed) ?? []), e.sk]);

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
  const write = async (files: readonly SiteFile[]) => {
    const r = await writeChanged(deps.writer, files, guard);
    written.push(...r.written);
    if (r.written.length > 0) references.push(r.reference);
    total += files.length;
  };
  let entriesRead = 0;
  let latest: FeedEntry[] | undefined;
  for (const feed of targets) {
    const build = await buildFeed(store, { site, feed, authors, now, changed: changedByFeed.get(feedKey(feed)) ?? [] });
    entriesRead += build.entriesRead;
    if (feed.kind === "site") latest = build.current;
    await write(build.files);
  }
  if (!latest) {
    latest = await store.queryFeed("site", nowIso, site.itemsPerFeed);
    entriesRead += latest.length;
  }
  const pages = { site, latest, feeds: [...known.values()], authors };
  await write([siteFile(INDEX_PAGE, renderIndexHtml(pages)), siteFile(OPML, renderOpml(pages))]);

  const announce = pending.toAnnounce(written);
  if (announce.length > 0) {
    // The reference names this run (its lease owner) as well as the bytes: CloudFront
    // ignores a second invalidation with a reference it has seen, and a recovery run that
    // writes nothing would otherwise repeat the reference of an earlier recovery.
    const reference = sha256([lease.owner, ...references, ...leftOver].join("\n")).slice(0, 40);
    await lease.whileHeld(async () => {
      await deps.invalidator?.invalidate(announce.map((p) => `/${p}`), reference);
      // Hubs are told about current feeds only; archive pages are not subscribed to.
      const feedFiles = pending.everything
        ? [...known.values()].flatMap((f) => Object.keys(FEED_FILES).map((format) => feedPath(f, format as FeedFormat)))
        : announce.filter(isCurrentFeedPath);
      const feedUrls = feedFiles.map((p) => siteUrl(site, p));
      if (feedUrls.length > 0 && site.hubs.length > 0) await deps.hubs?.notify(site.hubs, feedUrls);
    });
    await pending.clear();
  }
  const nextScheduled = await store.nextScheduled("site", nowIso);
  return {
    feeds: targets.length, entriesRead, written, unchanged: total - written.length,
    ...(leftOver.length > 0 ? { recovered: leftOver } : {}),
    ...(nextScheduled ? { nextScheduled } : {}),
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

/**
 * The feeds of articles whose publication time fell in (from, to]: a scheduled article
 * that became due. One Query of the site feed's index, however large the archive.
 */
export async function dueChange(store: ContentStore, from: Date, to: Date): Promise<Change> {
  const due = await store.queryFeedRange("site", from.toISOString(), to.toISOString());
  const feeds = new Set<string>();
  for (const e of due) for (const f of feedInfosOf({ ...e, draft: false }, new Map())) feeds.add(feedKey(f));
  return { all: false, feeds: [...feeds].sort() };
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
export async function writeChanged(writer: SiteWriter, files: readonly SiteFile[], guard?: WriteGuard): Promise<{ written: string[]; reference: string }> {
  const current = await writer.hashes(files.map((f) => f.path));
  const todo = files.map((f) => ({ file: f, hash: sha256(f.body) })).filter(({ file, hash }) => current.get(file.path) !== hash);
  if (todo.length > 0) await guard?.beforeWrite(todo.map(({ file }) => file.path));
  for (let i = 0; i < todo.length; i += WRITE_CONCURRENCY) {
    if (i > 0) await guard?.beforeEach();
    await Promise.all(todo.slice(i, i + WRITE_CONCURRENCY).map(({ file, hash }) => writer.write(file, hash)));
  }
  const written = todo.map(({ file }) => file.path);
  return { written, reference: sha256(todo.map(({ file, hash }) => `${file.path} ${hash}`).join("\n")).slice(0, 40) };
}
