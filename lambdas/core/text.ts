/**
 * Characters that XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE, U+FFFF) and
 * lone UTF-16 surrogates. `feed` passes them through, and one of them makes a whole
 * RSS or Atom document unparseable, so every string is cleaned before it reaches XML.
 */
const INVALID_XML_CHARS =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu;

/** Non-global twin, so `.test` has no `lastIndex` state. */
const HAS_INVALID_XML_CHAR = new RegExp(INVALID_XML_CHARS.source, "u");

export function stripInvalidXmlChars(text: string): string {
  return text.replace(INVALID_XML_CHARS, "");
}

/** Where the first forbidden character is, as an editor counts lines and columns. */
export function findInvalidXmlChar(text: string): { line: number; column: number; code: string } | undefined {
  const m = HAS_INVALID_XML_CHAR.exec(text);
  if (!m) return undefined;
  const before = text.slice(0, m.index);
  const line = before.split("\n").length;
  const column = m.index - before.lastIndexOf("\n");
  const code = `U+${(m[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
  return { line, column, code };
}

/** Slug rules live in `slug.ts`; re-exported for older imports. */
export { slugify } from "./slug.js";

/** Plain text of an HTML fragment, whitespace collapsed; for summaries. */
export function htmlToText(html: string): string {
  return html
    .replace(/<[^>]*>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

/** Cuts at a word boundary and adds an ellipsis; never splits a surrogate pair. */
export function truncateWords(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max).join("");
  const space = cut.lastIndexOf(" ");
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** Escapes text for HTML and XML content and attribute values. */
export function escapeXml(text: string): string {
  return stripInvalidXmlChars(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
