import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../lambdas/app/hash.js";
import { CONTENT, startAwsHarness, type AwsHarness } from "../support/aws-harness.js";
import { child, children, parseXmlStrict, type XmlElement } from "../support/parsers.js";

/**
 * What every bad input gets, through the deployed path: the file is uploaded to the
 * content bucket (s3rver), its S3 event (keys encoded as S3 encodes them) drives the
 * real ingest handler into dynalite, the recorded stream drives the real publish
 * handler into the site bucket. For each case: the outcome, the editor's report in
 * `_reports/`, and what readers see. After every case all site files parse and the
 * other articles are still published. The README's table says the same.
 */

const BASE = "https://feeds.example.com";
const SITE_YAML = `title: Bad input
baseUrl: ${BASE}
articleUrl: https://news.example.com/{slug}/
id: "tag:example.com,2026:"
itemsPerFeed: 50
timeZone: Asia/Karachi
`;
/** Item ids are tag URIs; a non-ASCII slug is percent-encoded in them (UTF-8, NFC). */
const idOf = (slug: string) => `tag:example.com,2026:${encodeURIComponent(slug.normalize("NFC"))}`;
const enc = (s: string) => new TextEncoder().encode(s);
const fm = (fields: string, body = "Body text.") => `---\n${fields}\n---\n${body}\n`;
const ok = (title: string, extra = "") => fm(`title: ${JSON.stringify(title)}\nauthor: jane\ndate: 2024-03-01 09:00\ncategories: [News]${extra}`);

let h: AwsHarness;
beforeAll(async () => {
  h = await startAwsHarness("bad-input");
  await h.upload("site.yaml", SITE_YAML);
  await h.upload("authors/jane.md", "---\nname: Jane Doe\n---\n");
  await h.upload("articles/anchor.md", ok("The anchor article"));
  const { results } = await h.deliver();
  expect(results.map((r) => r.outcome)).toEqual(["published", "published", "published"]);
});
afterAll(async () => { await h?.close(); });

async function atomEntry(slug: string): Promise<XmlElement | undefined> {
  const feed = parseXmlStrict(await h.siteText("atom.xml"));
  return children(feed, "entry").find((e) => child(e, "id").text === idOf(slug));
}

async function report(key: string): Promise<string | undefined> {
  try {
    await h.s3.client.send(new HeadObjectCommand({ Bucket: CONTENT, Key: `_reports/${key}.txt` }));
  } catch {
    return undefined;
  }
  return h.contentText(`_reports/${key}.txt`);
}

interface Case {
  name: string;
  key: string;
  body: string | Uint8Array;
  outcome: "rejected" | "published" | "ignored" | "held";
  /** The editor's report (the whole text for published files, a line for rejected ones). */
  says?: RegExp;
  /** The report's first line after the key, when it is not the outcome (a scheduled article). */
  status?: string;
  then?: (slug: string) => Promise<void>;
}

const slugOf = (key: string) => key.split("/").pop()!.replace(/\.md$/, "").normalize("NFC").toLowerCase();

const cases: Case[] = [
  { name: "missing title", key: "articles/no-title.md", body: fm("author: jane\ndate: 2024-03-01"), outcome: "rejected", says: /^articles\/no-title\.md: error in title: is missing\. Fix: /m },
  { name: "empty title", key: "articles/empty-title.md", body: fm("title: '  '\nauthor: jane\ndate: 2024-03-01"), outcome: "rejected", says: /error in title: is empty/ },
  { name: "unknown author (held until the author file arrives: every Atom entry needs a real author)", key: "articles/who.md", body: fm("title: T\nauthor: casper\ndate: 2024-03-01"), outcome: "held", says: /^articles\/who\.md: held\nversion: [0-9a-f]{64}\narticles\/who\.md: warning in author: waiting for author "casper"\. Fix: add authors\/casper\.md; this file is published then/ },
  { name: "a date that does not exist", key: "articles/feb-30.md", body: fm("title: T\nauthor: jane\ndate: 2024-02-30"), outcome: "rejected", says: /error in date: "2024-02-30" is not a real date/ },
  {
    name: "a date without a zone is read in the site's zone", key: "articles/no-zone.md", body: ok("No zone"), outcome: "published",
    then: async (slug) => expect(Date.parse(child((await atomEntry(slug))!, "published").text)).toBe(Date.parse("2024-03-01T04:00:00Z")),
  },
  {
    name: "a far-future date: held until then, with a warning", key: "articles/far-future.md", body: fm("title: Later\nauthor: jane\ndate: 2031-06-01 09:00"), outcome: "published", status: "scheduled for 2031-06-01T04:00:00Z",
    says: /^articles\/far-future\.md: scheduled for 2031-06-01T04:00:00Z\nversion: [0-9a-f]{64}\narticles\/far-future\.md: warning in date: .*more than a year ahead/,
    then: async (slug) => expect(await atomEntry(slug)).toBeUndefined(),
  },
  { name: "malformed YAML", key: "articles/yaml.md", body: "---\ntitle: [unclosed\nauthor: jane\n---\nx\n", outcome: "rejected", says: /error in front matter: YAML error near line 3/ },
  { name: "YAML with a custom tag", key: "articles/tag.md", body: "---\ntitle: !!js/function 'x'\nauthor: jane\ndate: 2024-03-01\n---\n", outcome: "rejected", says: /error in front matter: .*tag/i },
  {
    name: "a YAML alias bomb", key: "articles/bomb.md", outcome: "rejected", says: /error in front matter: /,
    body: `---\na: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\ntitle: T\n---\n`,
  },
  { name: "non-UTF-8 bytes", key: "articles/latin1.md", body: Uint8Array.from([...enc("---\ntitle: Caf"), 0xe9, ...enc("\nauthor: jane\ndate: 2024-03-01\n---\n")]), outcome: "rejected", says: /error in file: the file is not valid UTF-8 \(byte 0xe9 at offset 14\)\. Fix: save the file as UTF-8/ },
  { name: "a lone surrogate as raw bytes is not UTF-8", key: "articles/surrogate-bytes.md", body: Uint8Array.from([...enc("---\ntitle: A"), 0xed, 0xa0, 0x80, ...enc("\nauthor: jane\ndate: 2024-03-01\n---\n")]), outcome: "rejected", says: /not valid UTF-8/ },
  {
    name: "a BOM and CRLF line ends", key: "articles/windows.md", body: `\uFEFF${ok("From Windows").replace(/\n/g, "\r\n")}`, outcome: "published", says: /^articles\/windows\.md: published\nversion: [0-9a-f]{64}\n$/,
    then: async (slug) => expect(child((await atomEntry(slug))!, "title").text).toBe("From Windows"),
  },
  {
    name: "NUL, other control characters, a lone surrogate escape and U+FFFE: removed, with a warning", key: "articles/controls.md", outcome: "published",
    body: fm('title: "Bell\\a and \\uD800 half"\nauthor: jane\ndate: 2024-03-01', "Text\u0000 with\u0007 controls \uFFFE here."),
    says: /warning in (title|body): .*U\+00(00|07)/,
    then: async (slug) => {
      const entry = (await atomEntry(slug))!;
      expect(child(entry, "title").text).toBe("Bell and  half");
      expect(child(entry, "content").text).not.toMatch(/[\u0000\u0007\uFFFE\uD800]/);
    },
  },
  {
    name: "]]>, & and < in a title arrive intact in every format", key: "articles/markup-title.md", body: ok("A ]]> B & C < D \"E\""), outcome: "published",
    then: async (slug) => {
      const title = "A ]]> B & C < D \"E\"";
      expect(child((await atomEntry(slug))!, "title").text).toBe(title);
      const items = children(child(parseXmlStrict(await h.siteText("feed.xml")), "channel"), "item");
      expect(items.find((i) => child(i, "guid").text === idOf(slug)) && child(items.find((i) => child(i, "guid").text === idOf(slug))!, "title").text).toBe(title);
      const json = JSON.parse(await h.siteText("feed.json")) as { items: { id: string; title: string }[] };
      expect(json.items.find((i) => i.id === idOf(slug))?.title).toBe(title);
    },
  },
  {
    name: "script tags, event handlers and javascript: links are removed", key: "articles/xss.md", outcome: "published",
    body: fm("title: XSS\nauthor: jane\ndate: 2024-03-01", '<script>alert(1)</script>\n\n<img src="/p.jpg" onerror="alert(2)">\n\n[x](javascript:alert(3)) <a href="JaVaScRiPt:alert(4)">y</a>'),
    then: async (slug) => {
      const html = child((await atomEntry(slug))!, "content").text;
      expect(html).not.toMatch(/<script|alert\(1\)|onerror|alert\(2\)|href="\s*javascript:/i);
      // markdown-it leaves a link it refuses as plain text: harmless, and visible to the editor.
      expect(html).toContain("<a>y</a>");
      expect(html).toContain('src="https://news.example.com/p.jpg"');
    },
  },
  {
    name: "relative links and images become absolute", key: "articles/relative.md", outcome: "published",
    body: fm("title: Rel\nauthor: jane\ndate: 2024-03-01\nimage: img/cover.png", "[prev](../older/) and ![pic](/img/a.jpg)"),
    then: async (slug) => {
      const html = child((await atomEntry(slug))!, "content").text;
      expect(html).toContain('href="https://news.example.com/older/"');
      expect(html).toContain('src="https://news.example.com/img/a.jpg"');
      expect(html).not.toMatch(/(href|src)="(\/|\.\.)/);
    },
  },
  { name: "an article of 0.45 MB of HTML (DynamoDB items stop at 400 KB)", key: "articles/huge.md", body: ok("Huge").replace("Body text.", "word ".repeat(90_000)), outcome: "rejected", says: /error in body: the article is \d\.\d MB of HTML; the limit is 300 KB/ },
  { name: "a 5 MB file (rejected unread)", key: "articles/five-mb.md", body: ok("Five").replace("Body text.", "word ".repeat(1_000_000)), outcome: "rejected", says: /error in file: the file is 5\.0 MB; the limit is 500 KB/ },
  { name: "a zero-byte file", key: "articles/empty.md", body: new Uint8Array(), outcome: "rejected", says: /error in file: the file is empty \(0 bytes\)/ },
  { name: ".DS_Store", key: "articles/.DS_Store", body: "\u0000\u0001junk", outcome: "ignored" },
  { name: "an Emacs lock file", key: "articles/.#story.md", body: "x", outcome: "ignored" },
  { name: "an editor backup", key: "articles/story.md~", body: "x", outcome: "ignored" },
  { name: "a vim swap file", key: "articles/.story.md.swp", body: "x", outcome: "ignored" },
  { name: "an Emacs autosave", key: "articles/#story.md#", body: "x", outcome: "ignored" },
  {
    name: "a key with spaces, +, % and an Urdu title", key: "articles/ev charging + 100% خبر.md", body: ok("بجلی کی گاڑیاں: 100% + مزید", "\nlang: ur"), outcome: "published",
    says: /^articles\/ev charging \+ 100% خبر\.md: published\nversion: [0-9a-f]{64}\n$/,
    then: async () => expect(parseXmlStrict(await h.siteText("atom.xml")) && (await h.siteText("feed.json")).includes("بجلی کی گاڑیاں: 100% + مزید")).toBe(true),
  },
];

describe("every bad input, through S3 events, ingest, the stream and publish", () => {
  it.each(cases)("$name: $outcome", async (c) => {
    await h.upload(c.key, c.body);
    const { results } = await h.deliver();
    expect(results.map((r) => [r.key, r.outcome])).toEqual([[c.key, c.outcome]]);
    const text = await report(c.key);
    if (c.outcome === "ignored") expect(text).toBeUndefined();
    else {
      expect(text?.startsWith(`${c.key}: ${c.status ?? c.outcome}\n`), text).toBe(true);
      if (c.says) expect(text).toMatch(c.says);
      if (c.outcome === "rejected") expect(text).toMatch(/\. Fix: .+\nThe last accepted version of this file stays published\.\n$/);
    }
    if (c.outcome === "rejected") expect(await atomEntry(slugOf(c.key))).toBeUndefined();
    await c.then?.(slugOf(c.key));
    expect(await atomEntry("anchor")).toBeDefined();
    await h.assertSiteWellFormed();
  });

  it("a bad edit of a published article (5 MB) is rejected and the last good version stays online", async () => {
    await h.upload("articles/edited.md", ok("Good version"));
    await h.deliver();
    await h.upload("articles/edited.md", ok("Bad version").replace("Body text.", "word ".repeat(1_000_000)));
    const { results } = await h.deliver();
    expect(results[0]?.outcome).toBe("rejected");
    expect(child((await atomEntry("edited"))!, "title").text).toBe("Good version");
  });

  it("two files with the same slug: the first keeps it, the second is rejected naming the first", async () => {
    await h.upload("articles/2024/same.md", ok("First"));
    await h.deliver();
    await h.upload("articles/2025/same.md", ok("Second"));
    const { results } = await h.deliver();
    expect(results[0]?.outcome).toBe("rejected");
    expect(await report("articles/2025/same.md")).toMatch(/error in file name: the slug "same" is already used by articles\/2024\/same\.md\. Fix: rename this file/);
    expect(child((await atomEntry("same"))!, "title").text).toBe("First");
  });

  it("a file name in NFD (as some Mac tools save it) is read under its own name and published", async () => {
    const key = "articles/آج-کی-خبر.md".normalize("NFD");
    expect(key).not.toBe(key.normalize("NFC"));
    await h.upload(key, ok("آج کی خبر", "\nlang: ur"));
    const { results } = await h.deliver();
    expect(results.map((r) => r.outcome)).toEqual(["published"]);
    expect(child((await atomEntry("آج-کی-خبر"))!, "title").text).toBe("آج کی خبر");
    expect(await report(key)).toBe(`${key}: published\nversion: ${sha256(ok("آج کی خبر", "\nlang: ur"))}\n`);
  });

  it("the same article uploaded under its NFC and its NFD name: published once, whichever came first; the other is rejected and explained; deleting it keeps the article", async () => {
    // The smaller key owns the slug, whatever the order: the NFD name ("e" + U+0301) sorts before the NFC one (U+00E9).
    const nfc = "articles/café-news.md".normalize("NFC");
    const nfd = nfc.normalize("NFD");
    await h.upload(nfc, ok("Café news"));
    expect((await h.deliver()).results.map((r) => r.outcome)).toEqual(["published"]);
    await h.upload(nfd, ok("Café news"));
    const { results } = await h.deliver();
    expect(results.map((r) => r.outcome)).toEqual(["updated"]);
    expect(await report(nfc)).toMatch(/error in file name: the same file name was uploaded twice in different Unicode forms \(NFC and NFD\).*Fix: delete one of the two copies/);
    const ids = children(parseXmlStrict(await h.siteText("atom.xml")), "entry").map((e) => child(e, "id").text);
    expect(ids.filter((id) => id === idOf("café-news"))).toHaveLength(1);

    await h.remove(nfc);
    const removal = await h.deliver();
    expect(removal.results.map((r) => r.outcome)).toEqual(["ignored"]);
    expect(await atomEntry("café-news")).toBeDefined();
    // Its report (rejected) goes with it: `feedpub status` lists no file that is gone.
    expect(await report(nfc)).toBeUndefined();
  });

  it("an author file under its NFC and its NFD name: the twin is rejected; deleting the twin keeps the author", async () => {
    const nfc = "authors/josé.md".normalize("NFC");
    const nfd = nfc.normalize("NFD");
    await h.upload(nfc, "---\nname: José Martí\n---\n");
    await h.upload("articles/by-jose.md", fm("title: By José\nauthor: josé\ndate: 2024-03-02"));
    expect((await h.deliver()).results.map((r) => r.outcome)).toEqual(["published", "published"]);

    await h.upload(nfd, "---\nname: Somebody Else\n---\n");
    expect((await h.deliver()).results.map((r) => r.outcome)).toEqual(["rejected"]);
    expect(await report(nfd)).toMatch(/error in file name: the same file name was uploaded twice in different Unicode forms/);

    await h.remove(nfd);
    expect((await h.deliver()).results.map((r) => r.outcome)).toEqual(["ignored"]);
    expect(await report(nfd)).toBeUndefined();
    const entry = (await atomEntry("by-jose"))!;
    expect(child(child(entry, "author"), "name").text).toBe("José Martí");
    // The author still exists: a new article naming them is accepted.
    await h.upload("articles/by-jose-2.md", fm("title: By José again\nauthor: josé\ndate: 2024-03-03"));
    expect((await h.deliver()).results.map((r) => r.outcome)).toEqual(["published"]);
  });
});
