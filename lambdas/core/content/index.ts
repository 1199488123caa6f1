/**
 * Parsing and validation of the three kinds of content file. Every function is pure:
 * it takes the file's bytes and returns either a value or problems worded for an
 * editor (file, field, what is wrong, how to fix it), within the limits of
 * `core/limits.ts` whatever the input.
 *
 * decode.ts       bytes → text; file size, key and slug checks
 * front-matter.ts the one pipeline: text → front matter + body → bounded YAML → schema
 * fields.ts       field types: bounded text, safe URLs, MIME types, language, time zone
 * dates.ts        dates in the site's zone
 * site.ts, author.ts, article.ts   one module per kind of file
 */
export { classifyKey, type ContentKind } from "../../contracts/content-keys.js";
export { MAX_ARTICLE_HTML_BYTES } from "../limits.js";
export { decodeText, fileSizeProblem, maxBytesOf, slugOfKey } from "./decode.js";
export { parseYaml, splitFrontMatter } from "./front-matter.js";
export { parseDate } from "./dates.js";
export { articleUrlProblem, type SiteOverrides } from "./site.js";
export type { ArticleContext } from "./article.js";
export type { Parsed } from "./problems.js";

import { parseArticle as article, type ArticleContext } from "./article.js";
import { parseAuthor as author } from "./author.js";
import { problem, type Parsed } from "./problems.js";
import { parseSite as site, type SiteOverrides } from "./site.js";
import type { Article, Author, Site } from "../model.js";

/**
 * A parser bug on some input is still one rejected file with a report, not an
 * exception that fails the whole event (and, on AWS, sends it to the DLQ after retries).
 */
function guarded<A extends unknown[], T>(parse: (file: string, bytes: Uint8Array, ...rest: A) => Parsed<T>) {
  return (file: string, bytes: Uint8Array, ...rest: A): Parsed<T> => {
    try {
      return parse(file, bytes, ...rest);
    } catch (err) {
      const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      return { ok: false, problems: [problem(file, "file", `the file could not be read (${why.slice(0, 200)})`, "simplify the file; if this persists, report it to the site's developers with the file attached")] };
    }
  };
}

export const parseSite: (file: string, bytes: Uint8Array, overrides?: SiteOverrides) => Parsed<Site> = guarded(site);
export const parseAuthor: (file: string, bytes: Uint8Array, s: Site) => Parsed<Author> = guarded(author);
export const parseArticle: (file: string, bytes: Uint8Array, ctx: ArticleContext) => Parsed<Article> = guarded(article);
