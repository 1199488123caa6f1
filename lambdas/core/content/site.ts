import * as z from "zod/mini";
import { DEFAULT_ARCHIVE_PAGE_SIZE } from "../archive.js";
import { MAX_HUBS, MAX_ID_BYTES, MAX_NAME_BYTES, MAX_SUMMARY_BYTES, MAX_TAG_CHARS, MAX_TITLE_BYTES, MAX_URL_BYTES } from "../limits.js";
import type { Problem, Site } from "../model.js";
import { stripInvalidXmlChars } from "../text.js";
import { httpUrl, isLanguageTag, isTimeZone, text, urlProblem } from "./fields.js";
import { readFrontMatter } from "./front-matter.js";
import { cleanText, problem, type Parsed } from "./problems.js";

/** Why an `articleUrl` pattern cannot make article URLs, or undefined. */
export function articleUrlProblem(pattern: string): string | undefined {
  if (!pattern.includes("{slug}")) return "must contain {slug}, where each article's slug goes";
  const unsafe = urlProblem(pattern, true);
  if (unsafe) return unsafe;
  // The URL an article would get: still absolute http(s) once a (percent-encoded) slug is in.
  const sample = pattern.replaceAll("{slug}", encodeURIComponent("خبر-1"));
  return urlProblem(sample) ? "must give an absolute http(s) URL once {slug} is replaced" : undefined;
}

/** A tag URI prefix: `tag:<authority>,<date>:`, with nothing that could break XML or a URL. */
const TAG_PREFIX = /^tag:[^,\s<>"'&\\]+,\d{4}(-\d{2}(-\d{2})?)?:[^\s<>"'&\\]*$/;

const siteSchema = z.strictObject({
  title: text(MAX_TITLE_BYTES, z.minLength(1, "must not be empty")),
  baseUrl: httpUrl.check(z.refine((s) => !/[?#]/.test(s), "must not have a query (?) or fragment (#): page paths are appended to it")),
  articleUrl: z.optional(text(MAX_URL_BYTES, z.refine((s) => articleUrlProblem(s) === undefined, { error: (iss) => articleUrlProblem(String(iss.input).trim()) ?? "is not usable" }))),
  language: z._default(text(MAX_TAG_CHARS, z.refine(isLanguageTag, "must be a language tag like en or ur-PK")), "en"),
  timeZone: z._default(text(MAX_TAG_CHARS, z.refine(isTimeZone, "must be an IANA time zone like Asia/Karachi")), "UTC"),
  description: z._default(text(MAX_SUMMARY_BYTES), ""),
  copyright: z.optional(text(MAX_NAME_BYTES)),
  itemsPerFeed: z._default(z.int().check(z.minimum(1), z.maximum(500)), 50),
  archivePageSize: z._default(z.int().check(z.minimum(2), z.maximum(1000)), DEFAULT_ARCHIVE_PAGE_SIZE),
  hubs: z._default(z.array(httpUrl).check(z.maxLength(MAX_HUBS, `lists more than ${MAX_HUBS} hubs`)), []),
  id: z.optional(text(MAX_ID_BYTES, z.regex(TAG_PREFIX, "must be a tag URI prefix like tag:example.com,2026:"))),
  icon: z.optional(httpUrl),
});

const SITE_FIX: Record<string, string> = {
  title: 'add `title: "My News Site"`',
  baseUrl: "add `baseUrl: https://feeds.example.com` (the public address of the feeds)",
  articleUrl: "write the public URL of an article with {slug} in it, such as https://news.example.com/{slug}/, or remove the line",
  language: "use a BCP 47 tag such as `en` or `ur`",
  timeZone: "use an IANA zone such as `Asia/Karachi` or `UTC`",
  description: "write one or two sentences",
  copyright: "write a short rights statement",
  itemsPerFeed: "use a whole number from 1 to 500",
  archivePageSize: "use a whole number from 2 to 1000 (entries per archive page; changing it re-cuts every archive)",
  hubs: `list at most ${MAX_HUBS} absolute https URLs of WebSub hubs`,
  id: "use `tag:<your domain>,<year>:` and never change it afterwards",
  icon: "write the absolute https URL of a square image, or remove the line",
};

/** Settings the host may impose over site.yaml (the local server's own address). */
export interface SiteOverrides {
  readonly baseUrl?: string;
  /** The id prefix already published, kept when site.yaml sets no `id` and the host moves. */
  readonly idPrefix?: string;
}

export function parseSite(file: string, bytes: Uint8Array, overrides: SiteOverrides = {}): Parsed<Site> {
  const fm = readFrontMatter(file, bytes, siteSchema, SITE_FIX, { wholeFileIsYaml: true });
  if (!fm.ok) return fm;
  const s = fm.value.data;
  const warnings: Problem[] = [];
  const baseUrl = (overrides.baseUrl ?? s.baseUrl).replace(/\/+$/, "");
  const host = new URL(baseUrl).hostname;
  const site: Site = {
    // Control characters would break XML, and U+0001/U+0002 are feed-format's own token marks.
    title: cleanText(file, "title", s.title, warnings),
    baseUrl,
    articleUrl: s.articleUrl ?? `${baseUrl}/{slug}/`,
    language: s.language,
    timeZone: s.timeZone,
    description: cleanText(file, "description", s.description, warnings),
    itemsPerFeed: s.itemsPerFeed,
    archivePageSize: s.archivePageSize,
    hubs: s.hubs,
    idPrefix: s.id ?? overrides.idPrefix ?? `tag:${host},2026:`,
    ...(s.copyright ? { copyright: stripInvalidXmlChars(s.copyright) } : {}),
    ...(s.icon ? { icon: s.icon } : {}),
  };
  if (site.title === "") return { ok: false, problems: [problem(file, "title", "is empty once control characters are removed", SITE_FIX.title!)] };
  return { ok: true, value: site, warnings };
}
