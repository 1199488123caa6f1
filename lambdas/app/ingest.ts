import { sha256 } from "./hash.js";
import { classifyKey, fileSizeProblem, maxBytesOf, parseArticle, parseAuthor, parseSite, slugOfKey, type SiteOverrides } from "../core/content/index.js";
import { DuplicateSlugError, StaleEventError } from "../core/errors.js";
import { feedInfosOf, feedKey } from "../core/feeds.js";
import type { Article, Problem } from "../core/model.js";
import type { ContentSource, ContentStore, IndexRef, SourceMeta, StoredArticle } from "../core/ports.js";
import { ALL_FEEDS, NO_CHANGE, type Change } from "./change.js";

/**
 * Ingest: one content file event in, the store updated, and the feeds it affects out.
 * Shared by the ingest Lambda and the local CLI. Every outcome is safe to repeat: a
 * retried or duplicated event changes nothing, an older event never wins.
 */

export interface ContentEvent {
  /**
   * Content key relative to the content root, e.g. `articles/2024/ev.md`: URL-decoded
   * but exactly as stored, not Unicode-normalised (NFC and NFD names are two files; the
   * slug, not the key, is normalised).
   */
  readonly key: string;
  readonly type: "put" | "delete";
  /** Orders events of one key (S3 sequencer or mtime), zero-padded so strings compare. */
  readonly seq: string;
  /** When the change happened (ISO); becomes `updated` of an edited article. */
  readonly time: string;
}

export type IngestOutcome =
  | "published" | "updated" | "unchanged" | "removed" | "rejected" | "ignored" | "stale" | "gone";

export interface IngestResult {
  readonly key: string;
  readonly outcome: IngestOutcome;
  /** Errors (the file was rejected) and warnings (published anyway). */
  readonly problems: readonly Problem[];
  readonly change: Change;
}

export interface IngestDeps {
  readonly store: ContentStore;
  readonly source: ContentSource;
  /** Imposed over site.yaml; the local server sets its own address. */
  readonly siteOverrides?: SiteOverrides;
}

/** S3 sequencers are hex of varying length; pad so that string order is event order. */
export function normaliseSeq(seq: string): string {
  return seq.toUpperCase().padStart(32, "0");
}

export { sha256 };

const result = (key: string, outcome: IngestOutcome, problems: readonly Problem[] = [], change: Change = NO_CHANGE): IngestResult => ({ key, outcome, problems, change });

export async function ingest(deps: IngestDeps, event: ContentEvent, now: Date): Promise<IngestResult> {
  const key = event.key;
  const kind = classifyKey(key);
  if (kind === "ignored") return result(key, "ignored");
  try {
    if (event.type === "delete") return await ingestDelete(deps, { ...event, key }, kind);
    // Read no more than the limit: a 100 MB upload costs a rejection, not a gigabyte of memory.
    const file = await deps.source.read(event.key, maxBytesOf(key));
    if (!file) return result(key, "gone");
    const tooLarge = fileSizeProblem(key, file.size ?? file.body.length);
    if (tooLarge) return result(key, "rejected", [tooLarge]);
    const source: SourceMeta = { key, seq: normaliseSeq(event.seq), hash: sha256(file.body) };
    if (kind === "site") return await ingestSite(deps, source, file.body);
    if (kind === "author") return await ingestAuthor(deps, source, file.body);
    return await ingestArticle(deps, source, file.body, event.time, now);
  } catch (err) {
    if (err instanceof StaleEventError) return result(key, "stale");
    throw err;
  }
}

async function ingestSite(deps: IngestDeps, source: SourceMeta, body: Uint8Array): Promise<IngestResult> {
  const parsed = parseSite(source.key, body, deps.siteOverrides);
  if (!parsed.ok) return result(source.key, "rejected", parsed.problems);
  await deps.store.putSite(parsed.value, source);
  return result(source.key, "published", parsed.warnings, ALL_FEEDS);
}

async function ingestAuthor(deps: IngestDeps, source: SourceMeta, body: Uint8Array): Promise<IngestResult> {
  const site = await deps.store.getSite();
  if (!site) return result(source.key, "rejected", [noSite(source.key)]);
  const parsed = parseAuthor(source.key, body, site);
  if (!parsed.ok) return result(source.key, "rejected", parsed.problems);
  // Another live file holding the slug (`Jane.md` and `jane.md`, or one name in NFC and
  // in NFD) keeps it; a file whose owner is gone takes it over.
  const owner = await deps.store.getAuthorSource(parsed.value.slug);
  if (owner && !owner.deleted && owner.source.key !== source.key && (await deps.source.exists(owner.source.key))) {
    return result(source.key, "rejected", [slugTaken(source.key, owner.source.key, parsed.value.slug)]);
  }
  await deps.store.putAuthor(parsed.value, source);
  // The author's name appears in every feed that carries their articles.
  return result(source.key, "published", parsed.warnings, ALL_FEEDS);
}

/** `file` wants a slug that `owner`, another live file, already holds. */
function slugTaken(file: string, owner: string, slug: string): Problem {
  return owner.normalize("NFC") === file.normalize("NFC")
    ? {
      file, field: "file name",
      message: `the same file name was uploaded twice in different Unicode forms (NFC and NFD); the first, ${JSON.stringify(owner)}, holds the slug "${slug}"`,
      fix: "delete one of the two copies (some Mac tools save file names in NFD); edit the one that stays",
      severity: "error",
    }
    : {
      file, field: "file name",
      message: `the slug "${slug}" is already used by ${owner}`,
      fix: `rename this file (the slug is the file name), or delete ${owner}`,
      severity: "error",
    };
}

function noSite(file: string): Problem {
  return { file, field: "site.yaml", message: "the site settings (site.yaml) are missing or invalid", fix: "upload a valid site.yaml first, then this file again", severity: "error" };
}

function indexRefOf(stored: StoredArticle | undefined): IndexRef[] {
  const refs: IndexRef[] = [...(stored?.staleIndex ?? [])];
  const a = stored?.article;
  if (a && !a.draft) refs.push({ feeds: feedKeysOf(a), slug: a.slug, published: a.published });
  return refs;
}

function feedKeysOf(article: Article): string[] {
  return feedInfosOf(article, new Map()).map(feedKey);
}

async function ingestArticle(deps: IngestDeps, source: SourceMeta, body: Uint8Array, time: string, now: Date): Promise<IngestResult> {
  const { store } = deps;
  const [site, authors] = await Promise.all([store.getSite(), store.listAuthors()]);
  if (!site) return result(source.key, "rejected", [noSite(source.key)]);
  const parsed = parseArticle(source.key, body, { site, authors: new Set(authors.keys()), now });
  if (!parsed.ok) return result(source.key, "rejected", parsed.problems);
  let article = parsed.value;
  const prev = await store.getArticle(article.slug);

  if (prev && prev.source.key === source.key && prev.source.seq > source.seq) return result(source.key, "stale");
  // Only the very same event is a no-op: a newer event with the same bytes must still
  // advance the stored sequencer, or an older delete delivered later would win.
  if (prev?.article && prev.source.key === source.key && prev.source.hash === source.hash && prev.source.seq === source.seq && !prev.indexPending) {
    return result(source.key, "unchanged", parsed.warnings);
  }
  // An edit moves `updated` forward even when the editor forgot to; the GUID stays.
  if (prev?.article && prev.source.hash !== source.hash && article.updated <= prev.article.updated) {
    const moved = [prev.article.updated, time, article.published].sort().pop()!;
    article = { ...article, updated: moved };
  }
  if (prev?.article && prev.source.key === source.key && prev.source.hash === source.hash) {
    article = { ...article, updated: prev.article.updated };
  }

  const stale = indexRefOf(prev?.source.key === source.key || !prev?.article ? prev : undefined);
  let previous: StoredArticle | undefined;
  try {
    previous = await store.putArticle(article, source, { staleIndex: stale });
  } catch (err) {
    if (!(err instanceof DuplicateSlugError)) throw err;
    const owner = await store.getArticle(article.slug);
    if (owner && !(await deps.source.exists(owner.source.key))) {
      // The other file is gone (the article was moved): this file takes the slug over.
      const staleOwner = indexRefOf(owner);
      previous = await store.putArticle(article, source, { takeOverFrom: owner.source, staleIndex: staleOwner });
      stale.push(...staleOwner);
    } else {
      return result(source.key, "rejected", [slugTaken(source.key, err.owner, article.slug)]);
    }
  }
  const feeds = await finishIndex(store, article, stale, source.seq);
  await store.registerFeeds(feedInfosOf(article, authors));
  const before = [...new Set(stale.flatMap((r) => r.feeds))];
  // RFC 6721: announce the feeds the article left; forget announcements where it is back.
  const left = before.filter((f) => !feeds.includes(f));
  const oldId = prev?.article?.id ?? article.id;
  if (left.length > 0) await store.putDeleted(left, { id: oldId, slug: article.slug, when: time });
  const entered = feeds.filter((f) => !before.includes(f));
  if (entered.length > 0) await store.clearDeleted(entered, article.slug);
  const outcome: IngestOutcome = article.draft ? "removed" : previous?.article ? "updated" : "published";
  const entries = [
    ...stale.flatMap((r) => r.feeds.map((feed) => ({ feed, sk: `${r.published}#${r.slug}` }))),
    ...feeds.map((feed) => ({ feed, sk: `${article.published}#${article.slug}` })),
  ];
  return result(source.key, outcome, parsed.warnings, { all: false, feeds: [...new Set([...before, ...feeds])], entries });
}

/** Removes stale index entries, writes the new ones, then clears the pending flag. */
async function finishIndex(store: ContentStore, article: Article | undefined, stale: readonly IndexRef[], seq: string): Promise<string[]> {
  const feeds = article && !article.draft ? feedKeysOf(article) : [];
  for (const ref of stale) {
    const gone = ref.slug !== article?.slug || ref.published !== article.published ? ref.feeds : ref.feeds.filter((f) => !feeds.includes(f));
    if (gone.length > 0) await store.deleteFeedEntries(gone, ref.slug, ref.published);
  }
  if (article && feeds.length > 0) {
    const { draft: _draft, ...entry } = article;
    await store.putFeedEntries(feeds, entry);
  }
  const slug = article?.slug ?? stale[0]?.slug;
  if (slug) await store.markIndexed(slug, seq);
  return feeds;
}

async function ingestDelete(deps: IngestDeps, event: ContentEvent, kind: "site" | "author" | "article"): Promise<IngestResult> {
  const { store } = deps;
  const source: SourceMeta = { key: event.key, seq: normaliseSeq(event.seq), hash: "" };
  if (kind === "site") {
    return result(event.key, "ignored", [{ file: event.key, field: "file", message: "site.yaml was deleted; the last settings stay in effect", fix: "upload site.yaml again to change the settings", severity: "warning" }]);
  }
  const slug = slugOfKey(event.key);
  if (kind === "author") {
    // A file that does not hold the slug (a rejected twin) leaves the author alone.
    const owner = await store.getAuthorSource(slug);
    if (owner && owner.source.key !== event.key) return result(event.key, "ignored");
    await store.deleteAuthor(slug, source);
    return result(event.key, "removed", [], ALL_FEEDS);
  }
  const prev = await store.getArticle(slug);
  // A file that never owned its slug (a rejected duplicate) leaves the article alone.
  if (prev && prev.source.key !== event.key) return result(event.key, "ignored");
  if (prev && prev.source.seq > source.seq) return result(event.key, "stale");
  const stale = indexRefOf(prev);
  try {
    await store.deleteArticle(slug, source, event.time, stale);
  } catch (err) {
    if (err instanceof DuplicateSlugError) return result(event.key, "ignored");
    throw err;
  }
  await finishIndex(store, undefined, stale.length > 0 ? stale : [{ feeds: [], slug, published: "" }], source.seq);
  const feeds = [...new Set(stale.flatMap((r) => r.feeds))];
  if (prev?.article && feeds.length > 0) await store.putDeleted(feeds, { id: prev.article.id, slug, when: event.time });
  const entries = stale.flatMap((r) => r.feeds.map((feed) => ({ feed, sk: `${r.published}#${r.slug}` })));
  return result(event.key, prev?.article ? "removed" : "unchanged", [], { all: false, feeds, entries });
}
