import { sha256 } from "./hash.js";
import { classifyKey, fileSizeProblem, maxBytesOf, parseArticle, parseAuthor, parseSite, slugOfKey, type Parsed, type SiteOverrides } from "../core/content/index.js";
import { StaleEventError, VersionConflictError } from "../core/errors.js";
import { feedInfosOf, feedKey, feedKeysOf, parseFeedKey } from "../core/feeds.js";
import { indexSk } from "../contracts/table.js";
import type { Article, Author, Problem, Site } from "../core/model.js";
import type { ArticleRecord, ContentSource, ContentStore, IndexRef, SourceMeta, StoredArticle } from "../core/ports.js";

/**
 * Ingest: one content file event in, the store updated, and what became dirty recorded
 * in the store for the next publish. Shared by the ingest Lambda and the local host.
 *
 * Every outcome is the same whatever the order of events, their repetition, or another
 * ingest running at the same time:
 * - The bucket decides, not the event's name: a delete event for a file that is still
 *   there (a deleted noncurrent version, a removed delete marker) re-reads the file.
 * - Per key, events are ordered by their sequencer (the file's slug claim); per slug,
 *   every write is a compare-and-set on the article's version, and every feed index
 *   write carries that version, so a stalled ingest can never write an older version's
 *   entries over a newer one's.
 * - Who owns a contested slug is a function of the keys: the smallest live key. When it
 *   goes, the next one is ingested again, so a move (upload the new key, delete the old)
 *   ends published under the new key.
 * - A file that names an author (or needs a site.yaml) that does not exist yet is held,
 *   and ingested again when that arrives.
 * - What changed is written to the store as dirty marks after the index writes; publish
 *   clears a mark only after the files are written and invalidated.
 */

export interface ContentEvent {
  /**
   * Content key relative to the content root, e.g. `articles/2024/ev.md`: URL-decoded
   * but exactly as stored, not Unicode-normalised (NFC and NFD names are two files; the
   * slug, not the key, is normalised).
   */
  readonly key: string;
  readonly type: "put" | "delete";
  /** Orders events of one key (S3 sequencer, or an arrival counter locally). */
  readonly seq: string;
  /** When the change happened (ISO); becomes `updated` of an edited article. */
  readonly time: string;
  /** Parse again even when the bytes did not change (the site's links changed). */
  readonly reparse?: boolean;
}

export type IngestOutcome =
  | "published" | "updated" | "unchanged" | "removed" | "rejected" | "held" | "ignored" | "stale" | "gone";

export interface IngestResult {
  readonly key: string;
  readonly outcome: IngestOutcome;
  /** Errors (the file was rejected), warnings (published anyway), or what a held file waits for. */
  readonly problems: readonly Problem[];
  /** Other files this event ingested again: held files released, the next owner of a slug. */
  readonly also?: readonly IngestResult[];
  /** site.yaml changed what stored articles were rendered with (links): ingest every article again. */
  readonly reparseArticles?: boolean;
  /** The file is no longer in the bucket (its report goes with it). */
  readonly fileGone?: boolean;
  /**
   * SHA-256 of the file's bytes this result is about: the report names it, so an editor's
   * tool waiting for its upload can tell that upload's report from an older one.
   */
  readonly version?: string;
  /** An article marked `draft: true` (outcome `removed`, the file still there): in no feed. */
  readonly draft?: boolean;
  /** An accepted article dated after `now` (ISO): it enters the feeds then, with no new upload. */
  readonly scheduledFor?: string;
}

export interface IngestDeps {
  readonly store: ContentStore;
  readonly source: ContentSource;
  /** Imposed over site.yaml; the local server sets its own address. */
  readonly siteOverrides?: SiteOverrides;
  /**
   * Parses an article's bytes. Must give what `parseArticleBytes` gives (the local host's
   * bulk build hands in one that parsed the file ahead in a worker thread).
   * @default parseArticleBytes, in process
   */
  readonly parse?: ArticleParse;
}

/** What an article is parsed with: the site's settings, and the time (for the far-future warning). */
export interface ArticleParseContext {
  readonly site: Site;
  readonly now: Date;
}

export type ArticleParse = (key: string, body: Uint8Array, ctx: ArticleParseContext) => Parsed<Article> | Promise<Parsed<Article>>;

/**
 * The article parse of ingest: every author slug is accepted here (which authors exist is
 * decided after, and a missing one holds the file).
 */
export function parseArticleBytes(key: string, body: Uint8Array, ctx: ArticleParseContext): Parsed<Article> {
  return parseArticle(key, body, { site: ctx.site, authors: ANY_AUTHOR, now: ctx.now });
}

/** S3 sequencers are hex of varying length; pad so that string order is event order. */
export function normaliseSeq(seq: string): string {
  return seq.toUpperCase().padStart(32, "0");
}

/** Attempts of one compare-and-set before giving up (the Lambda retry takes over). */
const MAX_CAS_ATTEMPTS = 8;

const result = (key: string, outcome: IngestOutcome, problems: readonly Problem[] = [], extra: Partial<IngestResult> = {}): IngestResult =>
  ({ key, outcome, problems, ...extra });

export async function ingest(deps: IngestDeps, event: ContentEvent, now: Date): Promise<IngestResult> {
  const key = event.key;
  const kind = classifyKey(key);
  if (kind === "ignored") return result(key, "ignored");
  const seq = normaliseSeq(event.seq);
  try {
    // The bucket decides what happened, not the event's name. Read no more than the
    // limit: a 100 MB upload costs a rejection, not a gigabyte of memory.
    const file = await deps.source.read(key, maxBytesOf(key));
    if (!file) {
      if (event.type === "put") return result(key, "gone");
      return await ingestDelete(deps, { key, seq, hash: "" }, kind, event.time, now);
    }
    const tooLarge = fileSizeProblem(key, file.size ?? file.body.length);
    if (tooLarge) return result(key, "rejected", [tooLarge]);
    const source: SourceMeta = { key, seq, hash: sha256(file.body) };
    // Every result about these bytes names them (results of other files name their own).
    const versioned = (r: IngestResult): IngestResult => (r.key === key && r.version === undefined ? { ...r, version: source.hash } : r);
    if (kind === "site") return versioned(await ingestSite(deps, source, file.body, now));
    if (kind === "author") return versioned(await ingestAuthor(deps, source, file.body, event.time, now));
    return versioned(await ingestArticle(deps, source, file.body, event.time, now, event.reparse === true));
  } catch (err) {
    if (err instanceof StaleEventError) return result(key, "stale");
    throw err;
  }
}

/**
 * Parses a stored article's file again, as the event that stored it, because site.yaml
 * changed what it was rendered with (its URL, the links made absolute in its body).
 * Nothing happens for a key that does not hold its slug.
 */
export async function reparse(deps: IngestDeps, key: string, now: Date): Promise<IngestResult> {
  const stored = await deps.store.getArticle(slugOfKey(key));
  if (!stored?.article || stored.source.key !== key) return result(key, "ignored");
  return ingest(deps, { key, type: "put", seq: stored.source.seq, time: stored.article.updated, reparse: true }, now);
}

/** Every stored article parsed again (site.yaml changed its links); their results. */
export async function reparseArticles(deps: IngestDeps, now: Date): Promise<IngestResult[]> {
  const out: IngestResult[] = [];
  // Authors first (their avatar and bio links are made absolute against the site too).
  for await (const key of deps.source.list("authors/")) {
    if (classifyKey(key) !== "author") continue;
    const owner = await deps.store.getAuthorSource(slugOfKey(key));
    if (!owner || owner.deleted || owner.source.key !== key) continue;
    out.push(await ingest(deps, { key, type: "put", seq: owner.source.seq, time: new Date(0).toISOString() }, now));
  }
  for await (const key of deps.source.list("articles/")) {
    if (classifyKey(key) !== "article") continue;
    const r = await reparse(deps, key, now);
    if (r.outcome !== "ignored") out.push(r);
  }
  return out;
}

async function ingestSite(deps: IngestDeps, source: SourceMeta, body: Uint8Array, now: Date): Promise<IngestResult> {
  const { store } = deps;
  const stored = await store.getSite();
  // An id prefix once published is kept when the host moves, so GUIDs never change.
  const parsed = parseSite(source.key, body, { ...deps.siteOverrides, ...(stored ? { idPrefix: stored.idPrefix } : {}) });
  if (!parsed.ok) return result(source.key, "rejected", parsed.problems);
  await store.putSite(parsed.value, source);
  await store.markDirty([{ feed: "*" }]);
  const also = await releaseHeld(deps, "site", now);
  // Every setting files are parsed with (links, dates without an offset, the default
  // language) changed: parse every stored file again. So does a repeated event of the same
  // settings: it may be Lambda's retry of a run that stored them and died before it had
  // parsed every file again (the retry would otherwise find nothing changed).
  const reparse = stored !== undefined && (parseSettings(stored) !== parseSettings(parsed.value) || JSON.stringify(stored) === JSON.stringify(parsed.value));
  return result(source.key, "published", parsed.warnings, { ...(also.length > 0 ? { also } : {}), ...(reparse ? { reparseArticles: true } : {}) });
}

/** What of the site parsing a file depends on: stored files parsed with other values are parsed again. */
const parseSettings = (site: Site): string => JSON.stringify([site.baseUrl, site.articleUrl, site.timeZone, site.language, site.idPrefix]);

async function ingestAuthor(deps: IngestDeps, source: SourceMeta, body: Uint8Array, time: string, now: Date): Promise<IngestResult> {
  const { store } = deps;
  const site = await store.getSite();
  if (!site) return holdFor(deps, "site", source, time, () => ingestAuthor(deps, source, body, time, now));
  const parsed = parseAuthor(source.key, body, site);
  if (!parsed.ok) return result(source.key, "rejected", parsed.problems);
  // Another live file holding the slug (`Jane.md` and `jane.md`, or one name in NFC and
  // in NFD) keeps it; a file whose owner is gone takes it over.
  const owner = await store.getAuthorSource(parsed.value.slug);
  if (owner && !owner.deleted && owner.source.key !== source.key && (await deps.source.exists(owner.source.key))) {
    return result(source.key, "rejected", [slugTaken(source.key, owner.source.key, parsed.value.slug)]);
  }
  await store.putAuthor(parsed.value, source);
  // The author's name appears in every feed that carries their articles.
  await store.markDirty([{ feed: "*" }]);
  const also = await releaseHeld(deps, `author/${parsed.value.slug}`, now);
  return result(source.key, "published", parsed.warnings, also.length > 0 ? { also } : {});
}

/**
 * The file waits for `dependency`. The hold is written before the dependency is checked
 * again, and the dependency's ingest writes it before it reads the holds: whichever
 * comes second sees the other, so a file is never left waiting for something that came.
 */
async function holdFor(deps: IngestDeps, dependency: string, source: SourceMeta, time: string, retry: () => Promise<IngestResult>): Promise<IngestResult> {
  await deps.store.hold(dependency, { key: source.key, seq: source.seq, time });
  const arrived = dependency === "site"
    ? (await deps.store.getSite()) !== undefined
    : (await deps.store.listAuthors()).has(dependency.slice("author/".length));
  if (arrived) {
    await deps.store.release(dependency, source.key, source.seq);
    return retry();
  }
  return result(source.key, "held", [waitingFor(source.key, dependency)]);
}

async function releaseHeld(deps: IngestDeps, dependency: string, now: Date): Promise<IngestResult[]> {
  const out: IngestResult[] = [];
  // Authors before articles, so an article held for the site finds its author.
  const held = (await deps.store.heldFor(dependency)).sort((a, b) => rank(a.key) - rank(b.key) || (a.key < b.key ? -1 : 1));
  for (const f of held) {
    const r = await ingest(deps, { key: f.key, type: "put", seq: f.seq, time: f.time }, now);
    await deps.store.release(dependency, f.key, f.seq);
    out.push(r, ...(r.also ?? []));
  }
  return out;
}

const rank = (key: string) => (classifyKey(key) === "author" ? 0 : 1);

function waitingFor(file: string, dependency: string): Problem {
  if (dependency === "site") {
    return { file, field: "site.yaml", message: "waiting for the site settings (site.yaml)", fix: "add a valid site.yaml; this file is published then, with no new upload", severity: "warning" };
  }
  const slug = dependency.slice("author/".length);
  return { file, field: "author", message: `waiting for author "${slug}"`, fix: `add authors/${slug}.md; this file is published then, with no new upload`, severity: "warning" };
}

/** `file` wants a slug that `owner`, another live file, already holds. */
function slugTaken(file: string, owner: string, slug: string): Problem {
  return owner.normalize("NFC") === file.normalize("NFC")
    ? {
      file, field: "file name",
      message: `the same file name was uploaded twice in different Unicode forms (NFC and NFD); ${JSON.stringify(owner)} holds the slug "${slug}"`,
      fix: "delete one of the two copies (some Mac tools save file names in NFD); edit the one that stays",
      severity: "error",
    }
    : {
      file, field: "file name",
      message: `the slug "${slug}" is already used by ${owner}`,
      fix: `rename this file (the slug is the file name), or delete ${owner}: this file is published then, with no new upload`,
      severity: "error",
    };
}

/** Every author slug passes parsing; which ones exist is decided here (missing ones hold the file). */
const ANY_AUTHOR: ReadonlySet<string> = new Proxy(new Set<string>(), { get: (t, p) => (p === "has" ? () => true : Reflect.get(t, p)) });

function indexRefOf(stored: StoredArticle | undefined): IndexRef[] {
  const refs: IndexRef[] = [...(stored?.staleIndex ?? [])];
  const a = stored?.article;
  if (a && !a.draft) refs.push({ feeds: feedKeysOf(a), slug: a.slug, published: a.published, id: a.id });
  return refs;
}

async function ingestArticle(deps: IngestDeps, source: SourceMeta, body: Uint8Array, time: string, now: Date, reparse: boolean): Promise<IngestResult> {
  const { store } = deps;
  const key = source.key;
  const [site, authors] = await Promise.all([store.getSite(), store.listAuthors()]);
  const again = () => ingestArticle(deps, source, body, time, now, reparse);
  if (!site) return holdFor(deps, "site", source, time, again);
  const parsed = await (deps.parse ?? parseArticleBytes)(key, body, { site, now });
  if (!parsed.ok) return result(key, "rejected", parsed.problems);
  const missing = parsed.value.authors.find((a) => !authors.has(a));
  if (missing) return holdFor(deps, `author/${missing}`, source, time, again);
  const slug = parsed.value.slug;

  await store.claimSlug(slug, key, source.seq, true);
  for (let attempt = 1; ; attempt++) {
    const owner = (await store.slugClaims(slug))[0]?.key;
    if (owner !== undefined && owner !== key) return result(key, "rejected", [slugTaken(key, owner, slug)]);
    const prev = await store.getArticle(slug);
    if (prev && prev.source.key === key && prev.source.seq > source.seq) return result(key, "stale");
    // Stored with other links (site.yaml changed them, and the re-parse that site.yaml
    // asked for was held and released as a plain event): not yet applied.
    const relink = reparse || (prev?.article !== undefined && prev.source.key === key && prev.article.url !== parsed.value.url);
    if (prev && prev.source.key === key && prev.source.seq === source.seq && prev.source.hash === source.hash && !relink) {
      // This very event was applied before (a redelivery, or a retry after a crash):
      // finish what a crashed run left, and report what the first run reported.
      if (prev.indexPending) await finishIndex(store, prev, time, authors);
      return result(key, prev.outcome ?? "unchanged", parsed.warnings, stateOf(parsed.value, now));
    }
    let article: Article = parsed.value;
    // An edit moves `updated` forward even when the editor forgot to; the GUID stays.
    if (prev?.article && prev.source.hash !== source.hash && article.updated <= prev.article.updated) {
      const moved = [prev.article.updated, time, article.published].sort().pop()!;
      article = { ...article, updated: moved };
    }
    if (prev?.article && prev.source.hash === source.hash) article = { ...article, updated: prev.article.updated };
    const sameFile = prev?.article !== undefined && prev.source.key === key;
    const outcome = article.draft ? "removed" : sameFile && prev!.source.hash === source.hash && !relink ? "unchanged" : prev?.article ? "updated" : "published";
    const record: ArticleRecord = { slug, source, article, staleIndex: indexRefOf(prev), outcome };
    try {
      await store.writeArticle(record, prev?.ver ?? 0);
    } catch (err) {
      if (err instanceof VersionConflictError && attempt < MAX_CAS_ATTEMPTS) continue;
      throw err;
    }
    await finishIndex(store, { ...record, ver: (prev?.ver ?? 0) + 1 }, time, authors);
    // A delete of this key may have been ingested since this event claimed the slug, and
    // found nothing to remove (it read the article before this write). It records its
    // claim before it reads the article, and this read comes after the write: one of the
    // two sees the other. Do its work now, so a deleted file never comes back.
    const claims = await store.slugClaims(slug);
    if (!claims.some((c) => c.key === key)) {
      return ingestDelete(deps, { key, seq: source.seq, hash: "" }, "article", time, now, true);
    }
    // site.yaml may have changed what this file was parsed with since it was read, and its
    // parse of every stored article may have run before this write (and missed it, or been
    // stale against this key's newer claim): whoever writes last looks again.
    const siteNow = await store.getSite();
    if (siteNow && parseSettings(siteNow) !== parseSettings(site)) return ingestArticle(deps, source, body, time, now, true);
    const also: IngestResult[] = [];
    // A smaller key took the slug from a file that is still there: that file's report says so.
    if (prev?.article && prev.source.key !== key && (await deps.source.exists(prev.source.key))) {
      also.push(result(prev.source.key, "rejected", [slugTaken(prev.source.key, key, slug)], { version: prev.source.hash }));
    }
    // Ownership was read before this write: a smaller key that claimed the slug since, and
    // wrote before this write landed, would be lost. Whoever writes last looks again, and
    // hands the slug to its owner.
    const ownerNow = claims[0];
    if (ownerNow && ownerNow.key !== key) {
      const r = await ingest(deps, { key: ownerNow.key, type: "put", seq: ownerNow.seq, time }, now);
      also.push(r, ...(r.also ?? []));
    }
    return result(key, outcome, parsed.warnings, { ...stateOf(article, now), ...(also.length > 0 ? { also } : {}) });
  }
}

/** What the editor's report says of an accepted article besides its outcome: a draft, or dated ahead. */
function stateOf(article: Article, now: Date): Pick<IngestResult, "draft" | "scheduledFor"> {
  if (article.draft) return { draft: true };
  return Date.parse(article.published) > now.getTime() ? { scheduledFor: article.published } : {};
}

/**
 * The index writes of one article version, then the retraction records, then the dirty
 * marks (after the writes they announce, so a publish that sees a mark sees the writes),
 * then the pending flag cleared. Every step can be repeated.
 */
async function finishIndex(store: ContentStore, rec: StoredArticle, time: string, authors: ReadonlyMap<string, Author> = new Map()): Promise<void> {
  const { article, slug, ver } = rec;
  const stale = rec.staleIndex ?? [];
  const feeds = article && !article.draft ? feedKeysOf(article) : [];
  const dirty: { feed: string; at?: string }[] = [];
  for (const ref of stale) {
    const gone = ref.slug !== article?.slug || ref.published !== article.published ? ref.feeds : ref.feeds.filter((f) => !feeds.includes(f));
    if (gone.length > 0) await store.deleteFeedEntries(gone, ref.slug, ref.published, ver);
    for (const feed of ref.feeds) dirty.push({ feed, at: indexSk(ref) });
  }
  if (article && feeds.length > 0) {
    const { draft: _draft, ...entry } = article;
    await store.putFeedEntries(feeds, entry, ver);
    for (const feed of feeds) dirty.push({ feed, at: indexSk(article) });
  }
  // A newer version was written while this one stalled: its ingest owns the rest (its
  // index writes won over these), and retraction records must follow it, not this one.
  if ((await store.getArticle(slug))?.ver !== ver) return;
  // RFC 6721: announce the feeds the article left; forget announcements where it is back.
  const before = [...new Set(stale.flatMap((r) => r.feeds))];
  const left = before.filter((f) => !feeds.includes(f));
  const id = article?.id ?? stale.find((r) => r.id)?.id;
  if (left.length > 0 && id) await store.putDeleted(left, { id, slug, when: rec.deletedAt ?? time });
  const entered = feeds.filter((f) => !before.includes(f));
  if (entered.length > 0) await store.clearDeleted(entered, slug);
  // Every feed marked below is in the registry (with its title) before its mark: a publish
  // between the marks and the registry would render a feed the registry lacks, and a crash
  // there would leave it out for good (the retry finds the index done). The feeds it left
  // were registered by the version that entered them, unless that one stalled and lost:
  // those get the title a publish gives an unknown feed. A registry write is always
  // followed by a mark of the same writer, so publish renders what it says.
  const infos = article && feeds.length > 0 ? feedInfosOf(article, authors) : [];
  if (left.length > 0) {
    const known = new Set((await store.listFeeds()).map(feedKey));
    for (const f of left) if (!known.has(f)) infos.push({ ...parseFeedKey(f), title: parseFeedKey(f).slug });
  }
  if (infos.length > 0) await store.registerFeeds(infos);
  if (dirty.length > 0) await store.markDirty(dirty);
  await store.markIndexed(slug, ver);
}

/** `claimed`: the delete's claim is already recorded (a put found it after its own write). */
async function ingestDelete(deps: IngestDeps, source: SourceMeta, kind: "site" | "author" | "article", time: string, now: Date, claimed = false): Promise<IngestResult> {
  const { store } = deps;
  const key = source.key;
  if (kind === "site") {
    return result(key, "ignored", [{ file: key, field: "file", message: "site.yaml was deleted; the last settings stay in effect", fix: "upload site.yaml again to change the settings", severity: "warning" }]);
  }
  const slug = slugOfKey(key);
  if (kind === "author") {
    // A file that does not hold the slug (a rejected twin) leaves the author alone.
    const owner = await store.getAuthorSource(slug);
    if (owner && owner.source.key !== key) return result(key, "ignored", [], { fileGone: true });
    await store.deleteAuthor(slug, source);
    await store.markDirty([{ feed: "*" }]);
    return result(key, "removed", [], { fileGone: true });
  }
  if (!claimed) await store.claimSlug(slug, key, source.seq, false);
  let outcome: IngestOutcome = "ignored";
  for (let attempt = 1; ; attempt++) {
    const prev = await store.getArticle(slug);
    // A file that does not own its slug (a rejected duplicate, a held file) leaves the article alone.
    if (!prev || prev.source.key !== key) {
      outcome = prev ? "ignored" : "unchanged";
      break;
    }
    if (prev.source.seq > source.seq) return result(key, "stale");
    if (!prev.article) {
      if (prev.indexPending) await finishIndex(store, prev, time);
      outcome = prev.outcome ?? "removed";
      break;
    }
    const record: ArticleRecord = { slug, source, deletedAt: time, staleIndex: indexRefOf(prev), outcome: "removed" };
    try {
      await store.writeArticle(record, prev.ver);
    } catch (err) {
      if (err instanceof VersionConflictError && attempt < MAX_CAS_ATTEMPTS) continue;
      throw err;
    }
    await finishIndex(store, { ...record, ver: prev.ver + 1 }, time);
    outcome = "removed";
    break;
  }
  // The next file in line for the slug takes it over (a move: new key uploaded, old deleted).
  const also: IngestResult[] = [];
  const current = await store.getArticle(slug);
  const next = (await store.slugClaims(slug))[0];
  if (next && (!current?.article || current.source.key !== next.key)) {
    const r = await ingest(deps, { key: next.key, type: "put", seq: next.seq, time }, now);
    also.push(r, ...(r.also ?? []));
  }
  return result(key, outcome, [], { fileGone: true, ...(also.length > 0 ? { also } : {}) });
}
