import { Feed } from "feed";
import { feedDescription, feedTitle } from "../feeds.js";
import { authorOf, feedUrls, newestDate, type FeedInput } from "./input.js";
import { clean, FeedLayoutError } from "./tokens.js";

/**
 * JSON Feed 1.1. `feed` 6.0.0 writes version 1.0 (one `author`, no `authors`, `language`
 * or `hubs`); we take its top-level fields and items, checked field by field against the
 * shape feed 6.0.0 writes, and write 1.1 around them. JSON needs no escaping, but every
 * string is cleaned as in RSS and Atom, so the three formats carry the same text.
 */

const JSON_FEED_1_0 = "https://jsonfeed.org/version/1";
const JSON_FEED_1_1 = "https://jsonfeed.org/version/1.1";

/** The fields feed 6.0.0 writes for what we give it, and nothing else. */
const V1_FEED_FIELDS = new Set(["version", "title", "home_page_url", "feed_url", "description", "items"]);
const V1_ITEM_FIELDS = new Set(["id", "content_html", "url", "title", "summary", "image", "date_modified", "date_published"]);

/** JSON Feed 1.0 as feed 6.0.0 writes it for our input. */
interface V1Feed {
  version: string;
  title: string;
  home_page_url?: string;
  feed_url?: string;
  description?: string;
  items: V1Item[];
}

type V1Item = { id: string } & Partial<Record<"content_html" | "url" | "title" | "summary" | "image" | "date_modified" | "date_published", string>>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks the shape feed wrote, so the rewrite to 1.1 can't silently keep or drop a field. */
export function checkV1(json: string, ids: readonly string[]): V1Feed {
  const fail = (anchor: string, detail: string): never => { throw new FeedLayoutError("json", anchor, detail); };
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (cause) {
    throw new FeedLayoutError("json", "document", `not JSON: ${String(cause)}`);
  }
  if (!isRecord(doc)) return fail("document", "not an object");
  if (doc.version !== JSON_FEED_1_0) fail("version", `expected ${JSON_FEED_1_0}, found ${JSON.stringify(doc.version)}`);
  for (const [k, v] of Object.entries(doc)) {
    if (!V1_FEED_FIELDS.has(k)) fail(k, "unexpected top-level field");
    if (k !== "items" && typeof v !== "string") fail(k, "not a string");
  }
  if (!Array.isArray(doc.items) || doc.items.length !== ids.length) return fail("items", `expected an array of ${ids.length} items`);
  for (const [i, item] of (doc.items as unknown[]).entries()) {
    if (!isRecord(item)) return fail(`items[${i}]`, "not an object");
    for (const [k, v] of Object.entries(item)) {
      if (!V1_ITEM_FIELDS.has(k)) fail(`items[${i}].${k}`, "unexpected item field");
      if (typeof v !== "string") fail(`items[${i}].${k}`, "not a string");
    }
    if (item.id !== ids[i]) fail(`items[${i}].id`, `expected ${JSON.stringify(ids[i])}, found ${JSON.stringify(item.id)}`);
  }
  return doc as unknown as V1Feed;
}

export function renderJsonFeed(input: FeedInput): string {
  const { site, feed, entries, authors } = input;
  const urls = feedUrls(site, feed, input.location);
  const ids = entries.map((e) => clean(e.id));
  const f = new Feed({
    title: clean(feedTitle(site, feed)),
    description: clean(feedDescription(site, feed)),
    id: clean(urls.json),
    link: clean(`${site.baseUrl}/`),
    feedLinks: { json: clean(urls.json) },
    updated: newestDate(entries),
  });
  entries.forEach((e, i) => {
    f.addItem({
      title: clean(e.title),
      id: ids[i]!,
      link: clean(e.url),
      date: new Date(e.updated),
      published: new Date(e.published),
      description: clean(e.summary),
      content: clean(e.contentHtml),
      ...(e.image ? { image: clean(e.image.url) } : {}),
    });
  });
  const v1 = checkV1(f.json1(), ids);
  const items = v1.items.map((item, i) => {
    const e = entries[i]!;
    const authorList = e.authors.map((slug) => {
      const a = authorOf(slug, authors);
      return { name: clean(a.name), ...(a.url ? { url: clean(a.url) } : {}), ...(a.avatar ? { avatar: clean(a.avatar) } : {}) };
    });
    const tags = [...new Set([...e.categories.map((c) => c.name), ...e.tags].map(clean))];
    return {
      ...item,
      authors: authorList,
      ...(tags.length > 0 ? { tags } : {}),
      ...(e.lang ? { language: clean(e.lang) } : {}),
      ...(e.audio ? { attachments: [{ url: clean(e.audio.url), mime_type: clean(e.audio.type), size_in_bytes: e.audio.length, ...(e.audio.duration !== undefined ? { duration_in_seconds: e.audio.duration } : {}) }] } : {}),
    };
  });
  const icon = site.icon ? clean(site.icon) : undefined;
  const doc = {
    version: JSON_FEED_1_1,
    title: v1.title,
    home_page_url: v1.home_page_url,
    feed_url: v1.feed_url,
    description: v1.description,
    ...(icon ? { icon, favicon: icon } : {}),
    language: clean(site.language),
    ...(site.hubs.length > 0 ? { hubs: site.hubs.map((url) => ({ type: "WebSub", url: clean(url) })) } : {}),
    // JSON Feed pages go from newer to older: next_url is RFC 5005's prev-archive.
    ...(input.prevArchive !== undefined ? { next_url: clean(feedUrls(site, feed, input.prevArchive).json) } : {}),
    items,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
