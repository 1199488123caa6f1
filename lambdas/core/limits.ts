/**
 * Every limit on content input, in one place. Each is checked before the work it
 * bounds (read, YAML parse, Markdown render, store write), so a hostile or broken file
 * costs bounded time and memory and gets a one-line rejection instead of a crash.
 *
 * The numbers sit far above what a real news article uses (README, "Limits") and below
 * what the outputs can carry: DynamoDB items stop at 400 KB (an article item holds its
 * HTML plus every other field), sort keys at 1,024 bytes, a file name at 255 bytes, an
 * S3 key at 1,024 bytes. Lengths are UTF-8 bytes, the unit of those limits: an Urdu
 * letter is 2 bytes, an emoji 4.
 */

/** A content file (article or author), read no further than this. */
export const MAX_FILE_BYTES = 500_000;
/** `site.yaml`: all YAML, a few hundred bytes in practice. */
export const MAX_SITE_FILE_BYTES = 32_000;
/** The YAML between the `---` lines (a real one is under 2 KB; every field at its limit is about 40 KB). */
export const MAX_FRONT_MATTER_BYTES = 64_000;
/** Keys in one YAML mapping (an article has 14 known fields). */
export const MAX_YAML_KEYS = 100;
/** Problems listed per file; the rest are counted, so a report stays readable. */
export const MAX_PROBLEMS = 10;

/** Sanitised HTML of an article (DynamoDB items stop at 400 KB; the other fields fit in the rest). */
export const MAX_ARTICLE_HTML_BYTES = 300_000;
/** Sanitised HTML of an author's bio. */
export const MAX_BIO_HTML_BYTES = 20_000;
/**
 * Markdown tokens per render: memory is spent per token before any HTML exists
 * (a table cell is 3), so the parser stops here. 300 KB of real HTML is far fewer.
 */
export const MAX_MARKDOWN_TOKENS = 150_000;

/** Title of an article or of the site. */
export const MAX_TITLE_BYTES = 2_000;
/** Summary of an article; description of the site. */
export const MAX_SUMMARY_BYTES = 8_000;
/** A name: author, category, tag, copyright, image alt text. */
export const MAX_NAME_BYTES = 400;
/** A URL (browsers and CDNs handle 2,000 reliably). */
export const MAX_URL_BYTES = 2_000;
/** An `id`, a tag or other URI. */
export const MAX_ID_BYTES = 500;
/** A date as written (`2024-05-10T09:30:00.000+05:00` is 29). */
export const MAX_DATE_CHARS = 64;
/** A MIME type: RFC 6838 allows 127 + 1 + 127. */
export const MAX_MIME_CHARS = 255;
/** A language tag or time zone name. */
export const MAX_TAG_CHARS = 64;
/** An email address (RFC 5321 path limit). */
export const MAX_EMAIL_BYTES = 254;

/** Slug of an article or author (its file name without `.md`): part of URLs, keys and file names (255 bytes). */
export const MAX_SLUG_BYTES = 200;
/** Slug of a category, a folder name in the output: longer names are cut and get a hash suffix. */
export const MAX_CATEGORY_SLUG_BYTES = 100;
/** A content key (`articles/.../x.md`): its report `_reports/<key>.txt` must stay within S3's 1,024 bytes. */
export const MAX_KEY_BYTES = 1_000;

/** Per article: each category and author is a feed rewritten at every publish. */
export const MAX_CATEGORIES = 20;
export const MAX_TAGS = 50;
export const MAX_AUTHORS = 10;
/** WebSub hubs pinged at every publish. */
export const MAX_HUBS = 10;

/** UTF-8 length of a string without allocating its bytes. */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { n += 4; i++; }
    else n += 3;
  }
  return n;
}

/** `1.5 MB`, `300 KB`, `200 bytes`: sizes as an editor reads them. */
export function formatBytes(n: number): string {
  if (n >= 1_000_000) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 10_000) return `${Math.round(n / 1000)} KB`;
  return `${n.toLocaleString("en")} bytes`;
}
