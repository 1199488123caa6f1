import { Feed } from "feed";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FeedLayoutError, FeedUrlError, renderFeed, type FeedInput } from "../../../lambdas/core/formats/index.js";
import { checkV1 } from "../../../lambdas/core/formats/json-feed.js";
import { locateOnce, Tokens } from "../../../lambdas/core/formats/tokens.js";
import { aSite, anAuthor, anEntry } from "../../support/builders.js";

/**
 * Every step that edits `feed`'s output relies on feed 6.0.0's exact layout. Here feed's
 * real output is altered the way a new feed version might write it, and each step must
 * throw a `FeedLayoutError` naming its format and anchor instead of silently doing nothing.
 */

const input: FeedInput = {
  site: aSite({ icon: "https://cdn.example.com/icon.png" }),
  feed: { kind: "site", slug: "", title: "" },
  authors: new Map([["jane-doe", anAuthor()]]),
  entries: [anEntry({ lang: "ur", image: { url: "https://cdn.example.com/a.jpg", type: "image/jpeg" }, tags: ["ev"] }), anEntry()],
  location: "archive/2024-05-01/",
  deleted: [{ id: "tag:example.com,2026:gone", slug: "gone", when: "2024-05-05T00:00:00.000Z" }],
};

type Method = "rss2" | "atom1" | "json1";

/** Makes feed's `method` return its real output passed through `alter`. */
function alterFeed(method: Method, alter: (out: string) => string): void {
  const real = Feed.prototype[method];
  vi.spyOn(Feed.prototype, method).mockImplementation(function (this: Feed) {
    return alter(real.call(this));
  });
}

function layoutError(): FeedLayoutError {
  try {
    renderFeed(input);
  } catch (e) {
    if (e instanceof FeedLayoutError) return e;
    throw e;
  }
  throw new Error("renderFeed did not throw");
}

afterEach(() => vi.restoreAllMocks());

describe("the unaltered output of feed 6.0.0", () => {
  it("passes every anchor", () => expect(() => renderFeed(input)).not.toThrow());
});

describe.each<[Method, string, string, (out: string) => string]>([
  ["rss2", "rss", "rss start tag", (x) => x.replace('<rss version="2.0"', '<rss  version="2.0"')],
  ["rss2", "rss", "self link", (x) => x.replace('rel="self" type="application/rss+xml"', 'type="application/rss+xml" rel="self"')],
  ["rss2", "rss", "self link", (x) => x.replace(/\n\s*(<atom:link [^>]*rel="self")/, " $1")],
  ["rss2", "rss", "tokens", (x) => x.replace(/\u0001/g, "&#1;")],
  ["rss2", "rss", "CDATA", (x) => x.replace(/<!\[CDATA\[\u0001/g, "<![CDATA[ \u0001")],
  ["atom1", "atom", "feed start tag", (x) => x.replace('<feed xmlns="http://www.w3.org/2005/Atom">', '<feed xmlns="http://www.w3.org/2005/Atom" >')],
  ["atom1", "atom", "self link", (x) => x.replace(/<link rel="self" href="([^"]*)"\/>/, '<link href="$1" rel="self"/>')],
  ["atom1", "atom", "entry title", (x) => x.replace(/<title type="html">/g, '<title type="xhtml">')],
  ["atom1", "atom", "entry summary", (x) => x.replace(/<summary type="html">/g, "<summary>")],
  ["atom1", "atom", "entry id", (x) => x.replace(/<id>urn:/g, "<id> urn:")],
  ["atom1", "atom", "entry start tag", (x) => x.replace(/<entry>/g, "<entry >")],
  ["atom1", "atom", "entry end tag", (x) => x.replace(/<\/entry>/g, "</entry >")],
  ["atom1", "atom", "entry end tag", (x) => x.replace(/\n\s*<\/entry>/g, "</entry>")],
  ["atom1", "atom", "tokens", (x) => x.replace("urn:x-feedpub-token:", "urn:x-feedpub-token:%20")],
  ["json1", "json", "version", (x) => x.replace('"https://jsonfeed.org/version/1"', '"https://jsonfeed.org/version/1.1"')],
  ["json1", "json", "authors", (x) => x.replace(/^\{/, '{"authors": [],')],
  ["json1", "json", "items[0].author", (x) => x.replace('"content_html"', '"author": {"name": "x"}, "content_html"')],
  ["json1", "json", "items[0].id", (x) => JSON.stringify({ ...JSON.parse(x), items: [...(JSON.parse(x) as { items: unknown[] }).items].reverse() })],
  ["json1", "json", "items", (x) => JSON.stringify({ ...JSON.parse(x), items: [] })],
  ["json1", "json", "document", (x) => x.slice(1)],
])("%s output altered: %s anchor %s", (method, format, anchor, alter) => {
  it("throws FeedLayoutError naming the format and the anchor", () => {
    alterFeed(method, alter);
    const e = layoutError();
    expect({ name: e.name, format: e.format, anchor: e.anchor }).toEqual({ name: "FeedLayoutError", format, anchor });
    expect(e.message).toContain(anchor);
  });
});

describe("anchor helpers", () => {
  it("locateOnce throws on a missing anchor and on a repeated one", () => {
    expect(locateOnce("a<x/>b", "rss", "x", "<x/>")).toBe(1);
    expect(() => locateOnce("a", "rss", "x", "<x/>")).toThrow(FeedLayoutError);
    expect(() => locateOnce("<x/><x/>", "atom", "x", "<x/>")).toThrow(/atom: "x": found more than once/);
  });

  it("checkV1 accepts what feed writes, and nothing more", () => {
    const ok = JSON.stringify({ version: "https://jsonfeed.org/version/1", title: "t", items: [{ id: "a", content_html: "" }] });
    expect(checkV1(ok, ["a"]).items).toHaveLength(1);
    expect(() => checkV1(ok, ["b"])).toThrow(FeedLayoutError);
    expect(() => checkV1(ok.replace('"t"', "1"), ["a"])).toThrow(/json: "title": not a string/);
    expect(() => checkV1(ok.replace('"content_html":""}', '"content_html":"","tags":["x"]}'), ["a"])).toThrow(/items\[0\]\.tags/);
  });

  it("tokens: a value is cleaned before it is stored, and resolved escaped, in text and in an attribute", () => {
    const t = new Tokens("atom");
    const a = t.text("a\u0001<\"\r\u0002");
    const b = t.text("b\n");
    expect(t.resolve(`<x y="${b}"><![CDATA[${a}]]>${b}</x>`)).toBe('<x y="b&#10;">a&lt;&quot;&#13;b\n</x>');
  });
});

describe("URLs feed parses", () => {
  it("a relative article URL throws FeedUrlError naming the format and field (feed threw a bare TypeError)", () => {
    const e = (() => {
      try {
        renderFeed({ ...input, entries: [anEntry({ url: "/relative/" })] });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(FeedUrlError);
    expect(e).toMatchObject({ format: "rss", field: "item link", value: "/relative/" });
    expect((e as Error).cause).toBeInstanceOf(TypeError);
  });
});
