import * as z from "zod/mini";
import {
  formatBytes, MAX_ARTICLE_HTML_BYTES, MAX_AUTHORS, MAX_CATEGORIES, MAX_DATE_CHARS, MAX_ID_BYTES, MAX_MARKDOWN_TOKENS,
  MAX_NAME_BYTES, MAX_SLUG_BYTES, MAX_SUMMARY_BYTES, MAX_TAG_CHARS, MAX_TAGS, MAX_TITLE_BYTES, MAX_URL_BYTES, utf8Bytes,
} from "../limits.js";
import { absoluteUrl, renderMarkdown } from "../markdown.js";
import type { Article, Category, Image, Problem, Site } from "../model.js";
import { categorySlug, slugify } from "../slug.js";
import { htmlToText, stripInvalidXmlChars, truncateWords } from "../text.js";
import { parseDate } from "./dates.js";
import { isLanguageTag, maxBytes, mime, text, urlProblem } from "./fields.js";
import { keyProblems, slugOfKey } from "./decode.js";
import { readFrontMatter } from "./front-matter.js";
import { cleanText, problem, quote, rejected, type Parsed } from "./problems.js";

/** A list written as `[a, b]` or `a, b`; each entry at most `maxEach` bytes, at most `maxCount` entries. */
const stringList = (maxCount: number, maxEach: number, what: string) => z.pipe(
  z.union([z.string(), z.array(z.union([z.string(), z.number()]))]).check(
    z.refine((v) => (Array.isArray(v) ? v.length : v.split(",").length) <= maxCount, { abort: true, error: `lists more than ${maxCount} ${what}` }),
  ),
  z.pipe(
    z.transform((v: string | (string | number)[]) => (Array.isArray(v) ? v.map(String) : v.split(",")).map((s) => s.trim()).filter(Boolean)),
    z.array(z.string().check(maxBytes(maxEach))),
  ),
);
const dateField = z.pipe(z.union([z.string(), z.number()]), z.transform(String)).check(z.maxLength(MAX_DATE_CHARS, `is longer than ${MAX_DATE_CHARS} characters`));
const url = text(MAX_URL_BYTES, z.minLength(1, "must not be empty"));

const articleSchema = z.strictObject({
  title: z.string("must be text").check(z.trim(), z.minLength(1, "is empty"), maxBytes(MAX_TITLE_BYTES)),
  author: stringList(MAX_AUTHORS, MAX_SLUG_BYTES, "authors").check(z.refine((a) => a.length > 0, "names no author")),
  date: dateField,
  updated: z.optional(dateField),
  categories: z._default(stringList(MAX_CATEGORIES, MAX_NAME_BYTES, "categories"), []),
  tags: z._default(stringList(MAX_TAGS, MAX_NAME_BYTES, "tags"), []),
  summary: z.optional(text(MAX_SUMMARY_BYTES)),
  image: z.optional(z.union([url, z.strictObject({ url, alt: z.optional(z.string().check(maxBytes(MAX_TITLE_BYTES))), type: z.optional(mime("image", "image/jpeg")) })])),
  draft: z._default(z.boolean("must be true or false"), false),
  audio: z.optional(z.strictObject({
    url,
    type: mime("audio", "audio/mpeg"),
    length: z.number().check(z.refine(Number.isSafeInteger, "length must be a whole number of bytes"), z.minimum(0)),
    duration: z.optional(z.number().check(z.minimum(0), z.maximum(1e7))),
  })),
  lang: z.optional(text(MAX_TAG_CHARS, z.refine(isLanguageTag, "must be a language tag like en or ur"))),
  id: z.optional(text(MAX_ID_BYTES, z.refine((s) => URL.canParse(s) && urlProblem(s.replace(/^[a-z][a-z0-9+.-]*:/i, "https://x/")) === undefined, "must be an absolute URI such as tag:example.com,2020:old-id"))),
});

const ARTICLE_FIX: Record<string, string> = {
  title: 'add `title: "Headline"` to the front matter',
  author: "write the author's slug, the file name of content/authors/<slug>.md (for example `author: usman-aslam`)",
  date: "write the publication date as 2024-05-10 09:30 (site time zone) or 2024-05-10T09:30:00+05:00",
  updated: "write the update date like the date field, or remove the line",
  categories: `write a list such as [Electric Cars, News], at most ${MAX_CATEGORIES}`,
  tags: `write a list such as [ev, charging], at most ${MAX_TAGS}`,
  summary: "write one or two sentences of plain text",
  image: "write an image URL (absolute, or relative to the site)",
  draft: "write draft: true or draft: false",
  audio: "write audio: { url: https://.../episode.mp3, type: audio/mpeg, length: <bytes>, duration: <seconds> }",
  lang: "use a BCP 47 tag such as ur or en",
  id: "remove the line unless you are keeping an old site's GUIDs",
};

const IMAGE_TYPES: Record<string, string> = {
  jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", gif: "image/gif", webp: "image/webp", avif: "image/avif", svg: "image/svg+xml",
};

export interface ArticleContext {
  readonly site: Site;
  /** Slugs of the authors that exist. */
  readonly authors: ReadonlySet<string>;
  /** Only for the far-future warning; no output depends on it. */
  readonly now: Date;
}

/** An absolute http(s) URL safe to write anywhere, or undefined. */
function mediaUrl(raw: string, base: string): string | undefined {
  const abs = absoluteUrl(raw, base);
  return abs && urlProblem(abs) === undefined ? abs : undefined;
}

export function parseArticle(file: string, bytes: Uint8Array, ctx: ArticleContext): Parsed<Article> {
  const { site } = ctx;
  const keys = keyProblems(file);
  if (keys.length > 0) return rejected(keys);
  const parsed = readFrontMatter(file, bytes, articleSchema, ARTICLE_FIX);
  if (!parsed.ok) return parsed;
  const fm = parsed.value.data;
  const problems: Problem[] = [];
  const warnings: Problem[] = [];

  const date = parseDate(fm.date, site.timeZone);
  if (!date.ok) problems.push(problem(file, "date", date.why, ARTICLE_FIX.date!));
  let updatedIso: string | undefined;
  if (fm.updated !== undefined) {
    const u = parseDate(fm.updated, site.timeZone);
    if (!u.ok) problems.push(problem(file, "updated", u.why, ARTICLE_FIX.updated!));
    else updatedIso = u.iso;
  }
  const authorSlugs = [...new Set(fm.author.map(slugify))];
  for (const a of authorSlugs) {
    if (!ctx.authors.has(a)) {
      const known = [...ctx.authors].sort();
      const list = known.length === 0 ? "(none yet)" : `${known.slice(0, 10).join(", ")}${known.length > 10 ? `, … (${known.length} in all)` : ""}`;
      problems.push(problem(file, "author", `no author ${quote(a)} exists`, `add content/authors/${a.slice(0, 60)}.md, or use one of: ${list}`));
    }
  }
  const slug = slugOfKey(file);
  const articleUrl = site.articleUrl.replace("{slug}", encodeURIComponent(slug));

  const body = cleanText(file, "body", parsed.value.body, warnings);
  const title = cleanText(file, "title", fm.title, warnings);
  // The renderer stops at twice the limit: sanitising removes markup, so a little more raw HTML may still fit.
  const rendered = renderMarkdown(body, articleUrl, { maxTokens: MAX_MARKDOWN_TOKENS, maxHtmlChars: 2 * MAX_ARTICLE_HTML_BYTES });
  const contentHtml = rendered.ok ? rendered.html : "";
  const htmlBytes = rendered.ok ? utf8Bytes(contentHtml) : 0;
  if (!rendered.ok && rendered.limit === "tokens") {
    problems.push(problem(file, "body", `the article has more than ${MAX_MARKDOWN_TOKENS.toLocaleString("en")} Markdown elements (table cells, list items, links, ...); it would be far more than ${formatBytes(MAX_ARTICLE_HTML_BYTES)} of HTML`, "split it into several articles, or move large tables to linked files"));
  } else if (!rendered.ok) {
    problems.push(problem(file, "body", `the article is more than ${(2 * MAX_ARTICLE_HTML_BYTES / 1e6).toFixed(1)} MB of HTML; the limit is ${formatBytes(MAX_ARTICLE_HTML_BYTES)}`, "split it into several articles, or move large embedded data to linked files"));
  } else if (htmlBytes > MAX_ARTICLE_HTML_BYTES) {
    problems.push(problem(file, "body", `the article is ${(htmlBytes / 1e6).toFixed(1)} MB of HTML; the limit is ${formatBytes(MAX_ARTICLE_HTML_BYTES)}`, "split it into several articles, or move large embedded data to linked files"));
  }
  if (body.trim() === "") warnings.push(problem(file, "body", "the article has no text", "write the article below the closing --- line", "warning"));

  let image: Image | undefined;
  if (fm.image !== undefined) {
    const raw = typeof fm.image === "string" ? { url: fm.image } : fm.image;
    const abs = mediaUrl(raw.url, articleUrl);
    const ext = abs ? new URL(abs).pathname.split(".").pop()?.toLowerCase() ?? "" : "";
    const type = (typeof fm.image === "object" ? fm.image.type : undefined) ?? IMAGE_TYPES[ext];
    if (!abs) problems.push(problem(file, "image", `${quote(raw.url)} is not a usable URL`, ARTICLE_FIX.image!));
    else if (!type) problems.push(problem(file, "image", `cannot tell the image type of ${quote(raw.url)}`, "use a .jpg, .png, .gif, .webp or .avif file, or write image: { url: ..., type: image/jpeg }"));
    else image = { url: abs, type, ...(typeof fm.image === "object" && fm.image.alt ? { alt: stripInvalidXmlChars(fm.image.alt) } : {}) };
  }

  let audio: Article["audio"];
  if (fm.audio) {
    const abs = mediaUrl(fm.audio.url, articleUrl);
    if (!abs) problems.push(problem(file, "audio", `${quote(fm.audio.url)} is not a usable URL`, ARTICLE_FIX.audio!));
    else audio = { url: abs, type: fm.audio.type, length: fm.audio.length, ...(fm.audio.duration !== undefined ? { duration: fm.audio.duration } : {}) };
  }

  const categories = categoriesOf(file, fm.categories, warnings);
  if (problems.length > 0) return rejected(problems);
  const published = (date as { iso: string }).iso;
  if (Date.parse(published) > ctx.now.getTime() + 366 * 86_400_000) {
    warnings.push(problem(file, "date", `${fm.date} is more than a year ahead; the article stays hidden until then`, "check the year", "warning"));
  }
  const updated = updatedIso && updatedIso > published ? updatedIso : published;
  const summary = fm.summary ? stripInvalidXmlChars(fm.summary) : deriveSummary(contentHtml);
  const article: Article = {
    slug,
    // Normalised once, so RSS, Atom and JSON Feed carry exactly the same id.
    id: new URL(fm.id ?? `${site.idPrefix}${encodeURIComponent(slug)}`).toString(),
    title,
    url: articleUrl,
    authors: authorSlugs,
    published,
    updated,
    categories,
    tags: [...new Set(fm.tags.map(stripInvalidXmlChars).filter(Boolean))],
    summary,
    contentHtml,
    draft: fm.draft,
    ...(image ? { image } : {}),
    ...(audio ? { audio } : {}),
    ...(fm.lang && fm.lang.toLowerCase() !== site.language.toLowerCase() ? { lang: fm.lang } : {}),
  };
  return { ok: true, value: article, warnings };
}

/**
 * Categories with distinct slugs (see `categorySlug`): names that still slug alike
 * (they differ only in letter case) are one category; the editor is told which was kept.
 */
function categoriesOf(file: string, names: readonly string[], warnings: Problem[]): Category[] {
  const out: Category[] = [];
  const bySlug = new Map<string, string>();
  for (const raw of names) {
    const name = stripInvalidXmlChars(raw).trim();
    if (!name) continue;
    const slug = categorySlug(name);
    const kept = bySlug.get(slug);
    if (kept === undefined) {
      bySlug.set(slug, name);
      out.push({ slug, name });
    } else if (kept !== name) {
      warnings.push(problem(file, "categories", `${quote(kept)} and ${quote(name)} are the same category (they differ only in letter case); kept ${quote(kept)}`, "write the category the same way everywhere", "warning"));
    }
  }
  return out;
}

/** The text of the opening paragraphs (not tables, code or quotes), cut at a word near 280 characters. */
function deriveSummary(html: string): string {
  const paragraphs: string[] = [];
  let length = 0;
  // Only as many paragraphs as the summary can use: a 300 KB article is not copied whole.
  for (const m of html.matchAll(/<p>([\s\S]*?)<\/p>/g)) {
    const t = htmlToText(m[1] ?? "");
    if (!t) continue;
    paragraphs.push(t);
    length += t.length + 1;
    if (length > 600) break;
  }
  return truncateWords(paragraphs.join(" ") || htmlToText(html.slice(0, 20_000)), 280);
}
