import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { formatBytes, MAX_MIME_CHARS, MAX_TAG_CHARS, MAX_URL_BYTES, utf8Bytes } from "../limits.js";

/**
 * Field types shared by the three schemas. Every string that reaches output is bounded
 * in UTF-8 bytes and every URL is absolute http(s) with nothing that could break out of
 * an attribute or a token (`<`, `>`, `"`, whitespace, control characters).
 */

// zod/mini: the same validation as zod's classic API at a fraction of the bundle (the
// ingest Lambda's cold start); only the English messages are loaded.
z.config(en());

/** At most `max` UTF-8 bytes, with the actual size in the message. */
export const maxBytes = (max: number) =>
  z.refine<string>((s) => utf8Bytes(s) <= max, { abort: true, error: (iss) => `is ${formatBytes(utf8Bytes(String(iss.input)))} long; the limit is ${formatBytes(max)}` });

/** A trimmed string of at most `max` bytes passing `checks`; the length check runs first, so later checks see bounded input. */
export const text = (max: number, ...checks: Parameters<ReturnType<typeof z.string>["check"]>) =>
  z.string("must be text").check(z.trim(), maxBytes(max), ...checks);

/** Characters no URL written in a feed or page may hold: they would end an attribute or a token. */
const UNSAFE_URL_CHAR = /[\s<>"\\^`{|}\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/u;

/** Why `s` is not an absolute http(s) URL, or undefined. `{slug}` may appear when `template` is set. */
export function urlProblem(s: string, template = false): string | undefined {
  const bare = template ? s.replaceAll("{slug}", "slug") : s;
  const bad = UNSAFE_URL_CHAR.exec(bare);
  if (bad) return `must not contain ${bad[0].trim() === "" || bad[0] < " " ? `the character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}` : `"${bad[0]}"`}`;
  if (!/^https?:\/\//i.test(bare) || !URL.canParse(bare)) return "must be an absolute http(s) URL";
  const u = new URL(bare);
  if (u.username || u.password) return "must not contain a user name or password";
  return undefined;
}

/** An absolute http(s) URL of at most `MAX_URL_BYTES`. */
export const httpUrl = text(MAX_URL_BYTES, z.refine((s) => urlProblem(s) === undefined, { error: (iss) => urlProblem(String(iss.input).trim()) ?? "must be an absolute http(s) URL" }));

/** RFC 6838 restricted-name: a letter or digit, then up to 126 of `A-Za-z0-9!#$&^_.+-`. */
const RESTRICTED_NAME = "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}";
/** `type/subtype` of the given top-level type (any when omitted). */
export const mimeType = (top?: string) =>
  new RegExp(`^${top ? top.replace(/[^a-z]/g, "") : RESTRICTED_NAME}/${RESTRICTED_NAME}$`);
export const mime = (top: string, example: string) =>
  text(MAX_MIME_CHARS, z.regex(mimeType(top), `must be a MIME type such as ${example}`));

/**
 * A BCP 47 language tag: the shape of one (a 2-3 letter language, then subtags) that
 * `Intl` also accepts, so `en`, `ur-PK`, `zh-Hant-TW` pass and `english`, `en_US` do not.
 */
export function isLanguageTag(tag: string): boolean {
  if (tag.length > MAX_TAG_CHARS || !/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$/.test(tag)) return false;
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

/**
 * An IANA time zone name (`Asia/Karachi`, `UTC`, `America/Argentina/Buenos_Aires`) that
 * the runtime knows. Offsets such as `+05:00` are refused: they ignore daylight saving.
 */
export function isTimeZone(tz: string): boolean {
  if (tz.length > MAX_TAG_CHARS || !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** An email address of at most `max` bytes with no characters that break XML or headers. */
export const email = (max: number) => text(max, z.email("must be an email address"));
