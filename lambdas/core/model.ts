/**
 * The domain model shared by every layer. Plain data only: everything here can be
 * stored in DynamoDB as it is and compared structurally.
 */

/** Site-wide settings, from `content/site.yaml`. */
export interface Site {
  readonly title: string;
  /** Absolute base URL of the feed host, without a trailing slash. */
  readonly baseUrl: string;
  /** Pattern of an article's public URL; `{slug}` is replaced. @default `${baseUrl}/{slug}/` */
  readonly articleUrl: string;
  /** BCP 47 language tag of the site. @default "en" */
  readonly language: string;
  /** IANA time zone used for dates written without an offset. @default "UTC" */
  readonly timeZone: string;
  readonly description: string;
  readonly copyright?: string;
  /** Newest items per current feed. @default 50 */
  readonly itemsPerFeed: number;
  /** Entries per archive page (RFC 5005); changing it re-cuts every archive. @default 100 */
  readonly archivePageSize: number;
  /** WebSub hubs advertised in every feed. @default [] */
  readonly hubs: readonly string[];
  /**
   * Prefix of every item id, fixed for the life of the site so GUIDs survive a domain
   * move. A `tag:` URI authority such as `tag:example.com,2026:`.
   */
  readonly idPrefix: string;
  /** Absolute URL of a square site icon. */
  readonly icon?: string;
}

export interface Author {
  readonly slug: string;
  readonly name: string;
  readonly email?: string;
  readonly url?: string;
  readonly avatar?: string;
  /** Bio rendered to sanitised HTML. */
  readonly bioHtml: string;
}

export interface Category {
  readonly slug: string;
  readonly name: string;
}

export interface Image {
  readonly url: string;
  readonly type: string;
  readonly alt?: string;
}

/** An audio attachment (a podcast episode, an interview). */
export interface Audio {
  readonly url: string;
  /** MIME type, e.g. `audio/mpeg`. */
  readonly type: string;
  /** Size in bytes. */
  readonly length: number;
  /** Duration in seconds. */
  readonly duration?: number;
}

/** A validated article, ready to be indexed in feeds. */
export interface Article {
  readonly slug: string;
  /** Stable item id (GUID): never derived from the title or the file path. */
  readonly id: string;
  readonly title: string;
  readonly url: string;
  readonly authors: readonly string[];
  /** ISO 8601 instant (UTC, millisecond precision). */
  readonly published: string;
  /** ISO 8601 instant; equals `published` when the article was never updated. */
  readonly updated: string;
  readonly categories: readonly Category[];
  readonly tags: readonly string[];
  readonly summary: string;
  readonly contentHtml: string;
  readonly image?: Image;
  readonly audio?: Audio;
  /** BCP 47 tag, only when it differs from the site's language. */
  readonly lang?: string;
  readonly draft: boolean;
}

/** Which feed a document belongs to. */
export type FeedKind = "site" | "category" | "author";

export interface FeedRef {
  readonly kind: FeedKind;
  /** Empty for the site feed. */
  readonly slug: string;
}

/** What a feed registry item remembers about a feed, to list it in index.html and OPML. */
export interface FeedInfo extends FeedRef {
  readonly title: string;
}

/** An entry of a feed index: the article as it appears in a feed. */
export type FeedEntry = Omit<Article, "draft">;

/** An entry removed from a feed (deleted, unpublished, or moved out of it): RFC 6721. */
export interface DeletedEntry {
  readonly id: string;
  readonly slug: string;
  /** When it left the feed (ISO). */
  readonly when: string;
}

/** One problem found in a content file, worded for an editor. */
export interface Problem {
  /** Path of the file relative to the content root, e.g. `articles/ev.md`. */
  readonly file: string;
  readonly field: string;
  readonly message: string;
  readonly fix: string;
  /** Warnings do not stop a file from being published. */
  readonly severity: "error" | "warning";
}

export function formatProblem(p: Problem): string {
  return `${p.file}: ${p.severity} in ${p.field}: ${p.message}. Fix: ${p.fix}`;
}
