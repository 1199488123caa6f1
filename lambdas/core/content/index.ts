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
export { parseSite, articleUrlProblem, type SiteOverrides } from "./site.js";
export { parseAuthor } from "./author.js";
export { parseArticle, type ArticleContext } from "./article.js";
export type { Parsed } from "./problems.js";
