import * as z from "zod/mini";
import { formatBytes, MAX_BIO_HTML_BYTES, MAX_EMAIL_BYTES, MAX_MARKDOWN_TOKENS, MAX_NAME_BYTES, MAX_URL_BYTES, utf8Bytes } from "../limits.js";
import { absoluteUrl, renderMarkdown } from "../markdown.js";
import type { Author, Problem, Site } from "../model.js";
import { email, httpUrl, text, urlProblem } from "./fields.js";
import { keyProblems, slugOfKey } from "./decode.js";
import { readFrontMatter } from "./front-matter.js";
import { cleanText, problem, rejected, type Parsed } from "./problems.js";

const authorSchema = z.strictObject({
  name: text(MAX_NAME_BYTES, z.minLength(1, "must not be empty")),
  email: z.optional(email(MAX_EMAIL_BYTES)),
  url: z.optional(httpUrl),
  avatar: z.optional(text(MAX_URL_BYTES)),
});

const AUTHOR_FIX: Record<string, string> = {
  name: 'add `name: "Full Name"` to the front matter',
  email: "write a plain address such as name@example.com, or remove the line",
  url: "write an absolute https URL of the author's page, or remove the line",
  avatar: "write an image URL (absolute, or relative to the site), or remove the line",
};

export function parseAuthor(file: string, bytes: Uint8Array, site: Site): Parsed<Author> {
  const keys = keyProblems(file);
  if (keys.length > 0) return rejected(keys);
  const fm = readFrontMatter(file, bytes, authorSchema, AUTHOR_FIX);
  if (!fm.ok) return fm;
  const { data } = fm.value;
  const warnings: Problem[] = [];
  const problems: Problem[] = [];
  const body = cleanText(file, "body", fm.value.body, warnings);
  let avatar: string | undefined;
  if (data.avatar) {
    avatar = absoluteUrl(data.avatar, `${site.baseUrl}/`);
    if (!avatar || urlProblem(avatar)) problems.push(problem(file, "avatar", "must be an http(s) image URL", AUTHOR_FIX.avatar!));
  }
  const bio = renderMarkdown(body, `${site.baseUrl}/`, { maxTokens: MAX_MARKDOWN_TOKENS, maxHtmlChars: 2 * MAX_BIO_HTML_BYTES });
  const bioBytes = bio.ok ? utf8Bytes(bio.html) : Infinity;
  if (bioBytes > MAX_BIO_HTML_BYTES) {
    const size = bio.ok ? formatBytes(bioBytes) : `more than ${formatBytes(2 * MAX_BIO_HTML_BYTES)}`;
    problems.push(problem(file, "body", `the bio is ${size} of HTML; the limit is ${formatBytes(MAX_BIO_HTML_BYTES)}`, "shorten the bio to a few paragraphs"));
  }
  const name = cleanText(file, "name", data.name, warnings);
  if (name === "") problems.push(problem(file, "name", "is empty once control characters are removed", AUTHOR_FIX.name!));
  if (problems.length > 0 || !bio.ok) return rejected(problems);
  const author: Author = {
    slug: slugOfKey(file),
    name,
    bioHtml: bio.html,
    ...(data.email ? { email: data.email } : {}),
    ...(data.url ? { url: data.url } : {}),
    ...(avatar ? { avatar } : {}),
  };
  return { ok: true, value: author, warnings };
}
