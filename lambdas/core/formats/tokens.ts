import type { FeedFormat } from "../feeds.js";
import { escapeXml, stripInvalidXmlChars } from "../text.js";

/**
 * Why tokens: `feed` 6.0.0 does not escape what it writes (CDATA with only the first `]]>`
 * replaced, xml-js un-escaping `&amp;` in text, attribute values with only `"` escaped,
 * URLs with only `&` escaped). So no text of ours ever reaches `feed`: every string goes in
 * as an opaque token and comes out, after `feed` and our post-processing, escaped by one
 * function that knows whether it sits in text or in an attribute.
 *
 * The token scheme holds by construction: every value is cleaned of XML-forbidden characters
 * (U+0001 and U+0002 among them) before it is stored, and `feed`'s output, before
 * resolution, holds nothing but `feed`'s own markup, dates, numbers and tokens.
 */

/** `feed`'s output no longer has the shape a post-processing step relies on. */
export class FeedLayoutError extends Error {
  override readonly name = "FeedLayoutError";
  constructor(
    readonly format: FeedFormat,
    readonly anchor: string,
    detail: string,
  ) {
    super(`${format}: "${anchor}": ${detail}; the output of the \`feed\` package changed (written for feed 6.0.0), so this step would silently do nothing or the wrong thing`);
  }
}

/** A URL that `feed` must parse is not an absolute URL (`feed` would throw a bare `TypeError`). */
export class FeedUrlError extends Error {
  override readonly name = "FeedUrlError";
  constructor(
    readonly format: FeedFormat,
    readonly field: string,
    readonly value: string,
    options?: ErrorOptions,
  ) {
    super(`${format}: ${field} "${value}" is not an absolute URL`, options);
  }
}

/** A text token: U+0001 and U+0002 are stripped from every stored value, so this can't be text. */
const TEXT_TOKEN = (i: number): string => `\u0001${i}\u0002`;
/**
 * A URL token, for the fields `feed` runs through `new URL()`: an opaque URN the WHATWG
 * parser serialises unchanged. It can't be text either: before resolution no text is there.
 */
const URL_TOKEN = (i: number): string => `urn:x-feedpub-token:${i}:`;
const TOKEN = /<!\[CDATA\[(?:\u0001(\d+)\u0002|urn:x-feedpub-token:(\d+):)\]\]>|\u0001(\d+)\u0002|urn:x-feedpub-token:(\d+):/g;
const TOKEN_DEBRIS = /[\u0001\u0002]|urn:x-feedpub-token:/;

/**
 * Escapes for XML. Beyond `escapeXml`: CR in text, and TAB, LF, CR in attributes, as
 * character references, since a parser normalises the literal characters (to LF, to space)
 * and the text would not survive the round trip.
 */
function escapeValue(text: string, inAttribute: boolean): string {
  const escaped = escapeXml(text).replace(/\r/g, "&#13;");
  return inAttribute ? escaped.replace(/\t/g, "&#9;").replace(/\n/g, "&#10;") : escaped;
}

/** The cleaning every string gets before it enters `feed` or a document. */
export const clean = stripInvalidXmlChars;

/** Opaque placeholders for every string of one XML document; see the file comment. */
export class Tokens {
  private readonly values: string[] = [];

  constructor(private readonly format: FeedFormat) {}

  /** A token for text, or for a URL that `feed` writes without parsing it. */
  text(value: string): string {
    this.values.push(clean(value));
    return TEXT_TOKEN(this.values.length - 1);
  }

  /**
   * A token for a URL that `feed` parses with `new URL()`: the URL is serialised the way
   * `feed` would (WHATWG, percent-encoded) and `feed` only ever sees the token.
   */
  url(value: string, field: string): string {
    const cleaned = clean(value);
    let href: string;
    try {
      href = new URL(cleaned).href;
    } catch (cause) {
      throw new FeedUrlError(this.format, field, cleaned, { cause });
    }
    this.values.push(href);
    return URL_TOKEN(this.values.length - 1);
  }

  /**
   * Swaps every token (with the CDATA section `feed` may have put around it) for its
   * escaped value. Checks first that nothing but whole tokens carries token characters,
   * and after, that no CDATA section is left: both would mean `feed` cut or changed a token.
   */
  resolve(xml: string): string {
    if (TOKEN_DEBRIS.test(xml.replace(TOKEN, ""))) throw new FeedLayoutError(this.format, "tokens", "a token was split or altered");
    const out = xml.replace(TOKEN, (_m, ...groups: unknown[]) => {
      const offset = groups[4] as number;
      const index = Number(groups.slice(0, 4).find((g) => g !== undefined));
      const value = this.values[index];
      if (value === undefined) throw new FeedLayoutError(this.format, "tokens", `unknown token ${index}`);
      return escapeValue(value, xml[offset - 1] === '"');
    });
    if (out.includes("<![CDATA[")) throw new FeedLayoutError(this.format, "CDATA", "a CDATA section holds something other than one token");
    return out;
  }
}

/**
 * Where the one occurrence of `find` in `doc` starts, or throws naming the anchor: a missing
 * anchor (or a second one) means `feed`'s layout changed and a step would go wrong silently.
 */
export function locateOnce(doc: string, format: FeedFormat, anchor: string, find: string): number {
  const at = doc.indexOf(find);
  if (at < 0) throw new FeedLayoutError(format, anchor, `not found: ${JSON.stringify(find)}`);
  if (doc.indexOf(find, at + 1) >= 0) throw new FeedLayoutError(format, anchor, `found more than once: ${JSON.stringify(find)}`);
  return at;
}

/** Replaces the one occurrence of `find`; see `locateOnce`. */
export function replaceOnce(doc: string, format: FeedFormat, anchor: string, find: string, replacement: (match: string) => string): string {
  const at = locateOnce(doc, format, anchor, find);
  return doc.slice(0, at) + replacement(find) + doc.slice(at + find.length);
}

/** The whitespace before position `at` on its line; throws unless only whitespace precedes it. */
export function indentationAt(doc: string, at: number, format: FeedFormat, anchor: string): string {
  const indent = doc.slice(doc.lastIndexOf("\n", at - 1) + 1, at);
  if (!/^[ \t]*$/.test(indent)) throw new FeedLayoutError(format, anchor, "does not start its own line");
  return indent;
}
