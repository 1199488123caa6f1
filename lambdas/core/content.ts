import { DateTime } from "luxon";
import { parseDocument } from "yaml";
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { absoluteUrl, renderMarkdown } from "./markdown.js";
import type { Article, Author, Category, Image, Problem, Site } from "./model.js";
import { findInvalidXmlChar, htmlToText, slugify, stripInvalidXmlChars, truncateWords } from "./text.js";

/**
 * Parsing and validation of the three kinds of content file. Every function is pure:
 * it takes the file's bytes and returns either a value or problems worded for an
 * editor (file, field, what is wrong, how to fix it).
 */

/** DynamoDB items stop at 400 KB; an entry is stored in its article and each feed index item. */
export const MAX_ARTICLE_HTML_BYTES = 300_000;

export type Parsed<T> =
  | { ok: true; value: T; warnings: Problem[] }
  | { ok: false; problems: Problem[] };

/** What a content key is, from its path alone. */
export type ContentKind = "site" | "author" | "article" | "ignored";

const IGNORED_NAME = /(^|\/)(\.[^/]*|[^/]*~|#[^/]*#|[^/]*\.(swp|swx|tmp|bak|orig))$/i;

export function classifyKey(key: string): ContentKind {
  if (IGNORED_NAME.test(key)) return "ignored";
  // Exact and case-sensitive, like the S3 notification filters of the stack.
  if (key === "site.yaml") return "site";
  if (/^authors\/[^/]+\.md$/.test(key)) return "author";
  if (/^articles\/(.+\/)?[^/]+\.md$/.test(key)) return "article";
  return "ignored";
}

/** The slug of an author or article file: its file name, NFC, lower-cased. */
export function slugOfKey(key: string): string {
  const base = key.split("/").pop() ?? key;
  return slugify(base.replace(/\.md$/i, ""));
}

interface Decoded {
  text: string;
  warnings: Problem[];
}

const problem = (file: string, field: string, message: string, fix: string, severity: Problem["severity"] = "error"): Problem => ({
  file, field, message, fix, severity,
});

/** UTF-8 only, with a BOM and CRLF line ends tolerated (Windows editors write both). */
export function decodeText(file: string, bytes: Uint8Array): Parsed<Decoded> {
  if (bytes.length === 0) {
    return { ok: false, problems: [problem(file, "file", "the file is empty (0 bytes)", "write the article, or delete the file")] };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    return {
      ok: false,
      problems: [problem(file, "file", `the file is not valid UTF-8 (byte 0x${bytes[at]?.toString(16).padStart(2, "0")} at offset ${at})`, "save the file as UTF-8 in your editor")],
    };
  }
  text = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  return { ok: true, value: { text, warnings: [] }, warnings: [] };
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  // A prefix that stops inside a valid sequence does not throw in stream mode, so the
  // failing prefixes are exactly those that reach the first bad byte: binary search.
  let lo = 0;
  let hi = bytes.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  // `lo` is where decoding failed; an unfinished multi-byte sequence just before it is the culprit.
  for (let j = lo - 1; j >= Math.max(0, lo - 3); j--) {
    const b = bytes[j] ?? 0;
    if (b >= 0xc0) return j;
    if (b < 0x80) break;
  }
  return lo;
}

interface YamlResult {
  data: Record<string, unknown>;
}

/** A safe YAML subset: the core schema, no custom tags, unique keys, few aliases. */
export function parseYaml(file: string, source: string, lineOffset: number): Parsed<YamlResult> {
  const doc = parseDocument(source, { schema: "core", uniqueKeys: true, prettyErrors: true, strict: true });
  const bad = [...doc.errors, ...doc.warnings];
  if (bad.length > 0) {
    const e = bad[0]!;
    const line = (e.linePos?.[0]?.line ?? 0) + lineOffset;
    const what = e.code === "TAG_RESOLVE_FAILED" ? "a YAML tag (!! or !) that is not allowed" : e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    return {
      ok: false,
      problems: [problem(file, "front matter", `YAML error near line ${line}: ${what}`, "fix the YAML between the --- lines; quote text that contains a colon, # or a leading special character")],
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 20 });
  } catch (err) {
    return { ok: false, problems: [problem(file, "front matter", `YAML could not be read: ${(err as Error).message}`, "remove YAML aliases (*name) and anchors (&name)")] };
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== "object" || Array.isArray(data)) {
    return { ok: false, problems: [problem(file, "front matter", "the front matter is not a set of `key: value` lines", "write one `key: value` per line between the --- lines")] };
  }
  return { ok: true, value: { data: data as Record<string, unknown> }, warnings: [] };
}

/** Splits `---\n yaml \n---\n body`. */
export function splitFrontMatter(file: string, text: string): Parsed<{ yaml: string; body: string; bodyLine: number }> {
  if (!text.startsWith("---\n")) {
    return { ok: false, problems: [problem(file, "front matter", "the file does not start with a --- line", "start the file with ---, the fields (title:, author:, date: ...), then another --- line")] };
  }
  const end = text.indexOf("\n---", 3);
  const after = end < 0 ? -1 : text.indexOf("\n", end + 4);
  if (end < 0 || (after !== -1 && text.slice(end + 4, after).trim() !== "")) {
    return { ok: false, problems: [problem(file, "front matter", "the front matter has no closing --- line", "add a line with only --- after the last field")] };
  }
  const yaml = text.slice(4, end + 1);
  const body = after < 0 ? "" : text.slice(after + 1);
  const bodyLine = yaml.split("\n").length + 2;
  return { ok: true, value: { yaml, body, bodyLine }, warnings: [] };
}

// ---------------------------------------------------------------- site.yaml

// zod/mini: the same validation as zod's classic API at a fraction of the bundle (the
// ingest Lambda's cold start); only the English messages are loaded.
z.config(en());

/** A trimmed string passing `checks`. */
const text = (...checks: Parameters<ReturnType<typeof z.string>["check"]>) => z.string().check(z.trim(), ...checks);
const httpUrl = text(z.refine((s) => /^https?:\/\//i.test(s) && URL.canParse(s), "must be an absolute http(s) URL"));
const LANGUAGE_TAG = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/;

const siteSchema = z.strictObject({
  title: text(z.minLength(1, "must not be empty")),
  baseUrl: httpUrl,
  articleUrl: z.optional(text()),
  language: z._default(text(z.regex(LANGUAGE_TAG, "must be a language tag like en or ur-PK")), "en"),
  timeZone: z._default(text(z.refine(isTimeZone, "must be an IANA time zone like Asia/Karachi")), "UTC"),
  description: z._default(text(), ""),
  copyright: z.optional(text()),
  itemsPerFeed: z._default(z.int().check(z.minimum(1), z.maximum(500)), 50),
  hubs: z._default(z.array(httpUrl), []),
  id: z.optional(text(z.regex(/^tag:[^,]+,\d{4}(-\d{2}(-\d{2})?)?:/, "must be a tag URI prefix like tag:example.com,2026:"))),
  icon: z.optional(httpUrl),
});

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const SITE_FIX: Record<string, string> = {
  title: 'add `title: "My News Site"`',
  baseUrl: "add `baseUrl: https://feeds.example.com` (the public address of the feeds)",
  language: "use a BCP 47 tag such as `en` or `ur`",
  timeZone: "use an IANA zone such as `Asia/Karachi` or `UTC`",
  itemsPerFeed: "use a whole number from 1 to 500",
  hubs: "list absolute https URLs of WebSub hubs",
  id: "use `tag:<your domain>,<year>:` and never change it afterwards",
};

/** Settings the host may impose over site.yaml (the local server's own address). */
export interface SiteOverrides {
  readonly baseUrl?: string;
  /** The id prefix already published, kept when site.yaml sets no `id` and the host moves. */
  readonly idPrefix?: string;
}

export function parseSite(file: string, bytes: Uint8Array, overrides: SiteOverrides = {}): Parsed<Site> {
  const decoded = decodeText(file, bytes);
  if (!decoded.ok) return decoded;
  const yaml = parseYaml(file, decoded.value.text, 0);
  if (!yaml.ok) return yaml;
  const r = siteSchema.safeParse(yaml.value.data);
  if (!r.success) return { ok: false, problems: zodProblems(file, r.error, SITE_FIX, yaml.value.data) };
  const s = r.data;
  const baseUrl = (overrides.baseUrl ?? s.baseUrl).replace(/\/+$/, "");
  const host = new URL(baseUrl).hostname;
  const site: Site = {
    title: s.title,
    baseUrl,
    articleUrl: s.articleUrl ?? `${baseUrl}/{slug}/`,
    language: s.language,
    timeZone: s.timeZone,
    description: s.description,
    itemsPerFeed: s.itemsPerFeed,
    hubs: s.hubs,
    idPrefix: s.id ?? overrides.idPrefix ?? `tag:${host},2026:`,
    ...(s.copyright ? { copyright: s.copyright } : {}),
    ...(s.icon ? { icon: s.icon } : {}),
  };
  return { ok: true, value: site, warnings: [] };
}

function zodProblems(file: string, error: z.core.$ZodError, fixes: Record<string, string>, data: Record<string, unknown>): Problem[] {
  return error.issues.map((i) => {
    const field = i.path.length > 0 ? i.path.join(".") : "front matter";
    const top = String(i.path[0] ?? "");
    if (i.code === "unrecognized_keys") {
      return problem(file, i.keys.join(", "), `unknown field${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `"${k}"`).join(", ")}`, `remove it or correct its spelling; the known fields are ${Object.keys(fixes).join(", ")}`);
    }
    const missing = i.path.length === 1 && data[top] === undefined;
    return problem(file, field, missing ? "is missing" : i.message.replace(/^Invalid input: /, ""), fixes[top] ?? "correct the value");
  });
}

// ---------------------------------------------------------------- authors

const authorSchema = z.strictObject({
  name: text(z.minLength(1, "must not be empty")),
  email: z.optional(z.email("must be an email address")),
  url: z.optional(httpUrl),
  avatar: z.optional(text()),
});

const AUTHOR_FIX: Record<string, string> = {
  name: 'add `name: "Full Name"` to the front matter',
  email: "write a plain address such as name@example.com, or remove the line",
  url: "write an absolute https URL of the author's page, or remove the line",
  avatar: "write an image URL (absolute, or relative to the site), or remove the line",
};

export function parseAuthor(file: string, bytes: Uint8Array, site: Site): Parsed<Author> {
  const decoded = decodeText(file, bytes);
  if (!decoded.ok) return decoded;
  const parts = splitFrontMatter(file, decoded.value.text);
  if (!parts.ok) return parts;
  const yaml = parseYaml(file, parts.value.yaml, 1);
  if (!yaml.ok) return yaml;
  const r = authorSchema.safeParse(yaml.value.data);
  if (!r.success) return { ok: false, problems: zodProblems(file, r.error, AUTHOR_FIX, yaml.value.data) };
  const warnings: Problem[] = [];
  const body = cleanText(file, "body", parts.value.body, warnings);
  const avatar = r.data.avatar ? absoluteUrl(r.data.avatar, `${site.baseUrl}/`) : undefined;
  const author: Author = {
    slug: slugOfKey(file),
    name: cleanText(file, "name", r.data.name, warnings),
    bioHtml: renderMarkdown(body, `${site.baseUrl}/`),
    ...(r.data.email ? { email: r.data.email } : {}),
    ...(r.data.url ? { url: r.data.url } : {}),
    ...(avatar ? { avatar } : {}),
  };
  return { ok: true, value: author, warnings };
}

/** Strips characters XML forbids, with a warning that says where the first one was. */
function cleanText(file: string, field: string, text: string, warnings: Problem[]): string {
  const bad = findInvalidXmlChar(text);
  if (!bad) return text;
  warnings.push(problem(file, field, `contains the invisible control character ${bad.code} (line ${bad.line}, column ${bad.column}), which feeds cannot carry; it was removed`, "delete it in your editor (it often comes from pasting from a word processor)", "warning"));
  return stripInvalidXmlChars(text);
}

// ---------------------------------------------------------------- articles

const stringList = z.pipe(
  z.union([z.string(), z.array(z.union([z.string(), z.number()]))]),
  z.transform((v: string | (string | number)[]) => (Array.isArray(v) ? v.map(String) : v.split(",")).map((s) => s.trim()).filter(Boolean)),
);
const dateField = z.pipe(z.union([z.string(), z.number()]), z.transform(String));

const articleSchema = z.strictObject({
  title: z.string("must be text").check(z.trim(), z.minLength(1, "is empty")),
  author: stringList.check(z.refine((a) => a.length > 0, "names no author")),
  date: dateField,
  updated: z.optional(dateField),
  categories: z._default(stringList, []),
  tags: z._default(stringList, []),
  summary: z.optional(text()),
  image: z.optional(z.union([text(z.minLength(1)), z.strictObject({ url: text(z.minLength(1)), alt: z.optional(z.string()), type: z.optional(z.string()) })])),
  draft: z._default(z.boolean("must be true or false"), false),
  audio: z.optional(z.strictObject({
    url: text(z.minLength(1)),
    type: text(z.regex(/^audio\/[a-z0-9.+-]+$/, "type must be an audio MIME type such as audio/mpeg")),
    length: z.number().check(z.refine(Number.isInteger, "length must be a whole number of bytes"), z.minimum(0)),
    duration: z.optional(z.number().check(z.minimum(0))),
  })),
  lang: z.optional(text(z.regex(LANGUAGE_TAG, "must be a language tag like en or ur"))),
  id: z.optional(text(z.refine((s) => URL.canParse(s), "must be an absolute URI such as tag:example.com,2020:old-id"))),
});

const ARTICLE_FIX: Record<string, string> = {
  title: 'add `title: "Headline"` to the front matter',
  author: "write the author's slug, the file name of content/authors/<slug>.md (for example `author: usman-aslam`)",
  date: "write the publication date as 2024-05-10 09:30 (site time zone) or 2024-05-10T09:30:00+05:00",
  updated: "write the update date like the date field, or remove the line",
  categories: "write a list such as [Electric Cars, News]",
  tags: "write a list such as [ev, charging]",
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

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** Why a date-shaped string is not a date, in an editor's words rather than luxon's. */
function dateProblem(s: string, luxonExplanation: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(s);
  if (!m) return "not in YYYY-MM-DD HH:MM form";
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12) return `there is no month ${month}`;
  const days = DateTime.fromObject({ year, month }).daysInMonth ?? 31;
  if (day < 1 || day > days) return `${MONTHS[month - 1]} ${year} has ${days} days`;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59)) return `there is no time ${m[4]}:${m[5]}`;
  return luxonExplanation.replace(/^the input ".*" can't be parsed as ISO 8601$/, "not in YYYY-MM-DD HH:MM form") || "not a date";
}

/** Date in ISO 8601; without an offset it is read in the site's zone. */
export function parseDate(value: string, timeZone: string): { ok: true; iso: string } | { ok: false; why: string } {
  const s = value.trim().replace(/^(\d{4}-\d{2}-\d{2})[ ]+(?=\d)/, "$1T").replace(/[ ]+(?=[+-]\d{2}:?\d{2}$|Z$)/, "");
  const dt = DateTime.fromISO(s, { zone: timeZone, setZone: true });
  if (!dt.isValid) {
    return { ok: false, why: `"${value}" is not a real date (${dateProblem(s, dt.invalidExplanation ?? dt.invalidReason ?? "")})` };
  }
  if (dt.offset < -12 * 60 || dt.offset > 14 * 60) return { ok: false, why: `"${value}" has the UTC offset ${dt.toFormat("ZZ")}, which no place uses (offsets run from -12:00 to +14:00)` };
  if (dt.year < 1990 || dt.year > 2200) return { ok: false, why: `"${value}" is outside the years 1990 to 2200` };
  return { ok: true, iso: dt.toUTC().toISO({ suppressMilliseconds: false }) ?? "" };
}

export interface ArticleContext {
  readonly site: Site;
  /** Slugs of the authors that exist. */
  readonly authors: ReadonlySet<string>;
  /** Only for the far-future warning; no output depends on it. */
  readonly now: Date;
}

export function parseArticle(file: string, bytes: Uint8Array, ctx: ArticleContext): Parsed<Article> {
  const { site } = ctx;
  const decoded = decodeText(file, bytes);
  if (!decoded.ok) return decoded;
  const parts = splitFrontMatter(file, decoded.value.text);
  if (!parts.ok) return parts;
  const yaml = parseYaml(file, parts.value.yaml, 1);
  if (!yaml.ok) return yaml;
  const r = articleSchema.safeParse(yaml.value.data);
  const problems: Problem[] = r.success ? [] : zodProblems(file, r.error, ARTICLE_FIX, yaml.value.data);
  if (!r.success) return { ok: false, problems };
  const fm = r.data;
  const warnings: Problem[] = [];

  const date = parseDate(fm.date, site.timeZone);
  if (!date.ok) problems.push(problem(file, "date", date.why, ARTICLE_FIX.date!));
  let updatedIso: string | undefined;
  if (fm.updated !== undefined) {
    const u = parseDate(fm.updated, site.timeZone);
    if (!u.ok) problems.push(problem(file, "updated", u.why, ARTICLE_FIX.updated!));
    else updatedIso = u.iso;
  }
  const authorSlugs = fm.author.map(slugify);
  for (const a of authorSlugs) {
    if (!ctx.authors.has(a)) {
      problems.push(problem(file, "author", `no author "${a}" exists`, `add content/authors/${a}.md, or use one of: ${[...ctx.authors].sort().join(", ") || "(none yet)"}`));
    }
  }
  const slug = slugOfKey(file);
  if (!slug) problems.push(problem(file, "file name", "the file name has no letters or digits", "rename the file, for example ev-charging-deal.md"));
  const url = site.articleUrl.replace("{slug}", encodeURIComponent(slug));

  const body = cleanText(file, "body", parts.value.body, warnings);
  const title = cleanText(file, "title", fm.title, warnings);
  const contentHtml = renderMarkdown(body, url);
  const htmlBytes = Buffer.byteLength(contentHtml, "utf8");
  if (htmlBytes > MAX_ARTICLE_HTML_BYTES) {
    problems.push(problem(file, "body", `the article is ${(htmlBytes / 1e6).toFixed(1)} MB of HTML; the limit is ${MAX_ARTICLE_HTML_BYTES / 1000} KB`, "split it into several articles, or move large embedded data to linked files"));
  }
  if (body.trim() === "") warnings.push(problem(file, "body", "the article has no text", "write the article below the closing --- line", "warning"));

  let image: Image | undefined;
  if (fm.image !== undefined) {
    const raw = typeof fm.image === "string" ? { url: fm.image } : fm.image;
    const abs = absoluteUrl(raw.url, url);
    const ext = abs ? new URL(abs).pathname.split(".").pop()?.toLowerCase() ?? "" : "";
    const type = raw.type ?? IMAGE_TYPES[ext];
    if (!abs) problems.push(problem(file, "image", `"${raw.url}" is not a usable URL`, ARTICLE_FIX.image!));
    else if (!type) problems.push(problem(file, "image", `cannot tell the image type of "${raw.url}"`, "use a .jpg, .png, .gif, .webp or .avif file, or write image: { url: ..., type: image/jpeg }"));
    else image = { url: abs, type, ...(typeof fm.image === "object" && fm.image.alt ? { alt: fm.image.alt } : {}) };
  }

  let audio: Article["audio"];
  if (fm.audio) {
    const abs = absoluteUrl(fm.audio.url, url);
    if (!abs) problems.push(problem(file, "audio", `"${fm.audio.url}" is not a usable URL`, ARTICLE_FIX.audio!));
    else audio = { url: abs, type: fm.audio.type, length: fm.audio.length, ...(fm.audio.duration !== undefined ? { duration: fm.audio.duration } : {}) };
  }

  if (problems.length > 0) return { ok: false, problems };
  const published = (date as { iso: string }).iso;
  if (Date.parse(published) > ctx.now.getTime() + 366 * 86_400_000) {
    warnings.push(problem(file, "date", `${fm.date} is more than a year ahead; the article stays hidden until then`, "check the year", "warning"));
  }
  const updated = updatedIso && updatedIso > published ? updatedIso : published;
  const categories: Category[] = dedupeBy(fm.categories.map((name) => ({ slug: slugify(name), name: stripInvalidXmlChars(name) })).filter((c) => c.slug), (c) => c.slug);
  const summary = fm.summary ? stripInvalidXmlChars(fm.summary) : deriveSummary(contentHtml);
  const article: Article = {
    slug,
    // Normalised once, so RSS, Atom and JSON Feed carry exactly the same id.
    id: new URL(fm.id ?? `${site.idPrefix}${encodeURIComponent(slug)}`).toString(),
    title,
    url,
    authors: [...new Set(authorSlugs)],
    published,
    updated,
    categories,
    tags: [...new Set(fm.tags.map(stripInvalidXmlChars))],
    summary,
    contentHtml,
    draft: fm.draft,
    ...(image ? { image } : {}),
    ...(audio ? { audio } : {}),
    ...(fm.lang && fm.lang.toLowerCase() !== site.language.toLowerCase() ? { lang: fm.lang } : {}),
  };
  return { ok: true, value: article, warnings };
}

/** The text of the opening paragraphs (not tables, code or quotes), cut at a word near 280 characters. */
function deriveSummary(html: string): string {
  const paragraphs = [...html.matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) => htmlToText(m[1] ?? ""));
  return truncateWords(paragraphs.filter(Boolean).join(" ") || htmlToText(html), 280);
}

function dedupeBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => (seen.has(key(t)) ? false : (seen.add(key(t)), true)));
}
