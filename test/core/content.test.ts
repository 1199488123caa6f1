import { describe, expect, it } from "vitest";
import { classifyKey, parseArticle, parseAuthor, parseDate, parseSite, slugOfKey, type Parsed } from "../../lambdas/core/content/index.js";
import type { Article, Problem } from "../../lambdas/core/model.js";
import { aSite, articleText, bytes } from "../support/builders.js";

const site = aSite();
const ctx = { site, authors: new Set(["jane-doe", "usman-aslam"]), now: new Date("2024-06-01T00:00:00Z") };
const parse = (text: string | Uint8Array, file = "articles/a-title.md") =>
  parseArticle(file, typeof text === "string" ? bytes(text) : text, ctx);

function rejected<T>(r: Parsed<T>): Problem[] {
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.value).slice(0, 200)}`);
  return r.problems;
}
function accepted(r: Parsed<Article>): { article: Article; warnings: Problem[] } {
  if (!r.ok) throw new Error(`expected acceptance, got ${JSON.stringify(r.problems)}`);
  return { article: r.value, warnings: r.warnings };
}

describe("article files: accepted", () => {
  it("reads every front matter field", () => {
    const { article, warnings } = accepted(parse(articleText({
      frontMatter: { title: "Hello", author: "jane-doe", date: "2024-05-01 15:00", updated: "2024-05-02T09:00:00Z", categories: ["Electric Cars", "News"], tags: ["ev"], summary: "Short.", image: "/img/a.png", lang: "ur" },
      body: "Para **one**.",
    })));
    expect(warnings).toEqual([]);
    expect(article).toMatchObject({
      slug: "a-title",
      id: "tag:example.com,2026:a-title",
      title: "Hello",
      url: "https://news.example.com/a-title/",
      authors: ["jane-doe"],
      published: "2024-05-01T10:00:00.000Z", // 15:00 in Asia/Karachi (+05:00)
      updated: "2024-05-02T09:00:00.000Z",
      categories: [{ slug: "electric-cars", name: "Electric Cars" }, { slug: "news", name: "News" }],
      tags: ["ev"],
      summary: "Short.",
      contentHtml: "<p>Para <strong>one</strong>.</p>",
      image: { url: "https://news.example.com/img/a.png", type: "image/png" },
      lang: "ur",
      draft: false,
    });
  });

  it("keeps the GUID when the title or the folder changes", () => {
    const a = accepted(parse(articleText({ frontMatter: { title: "One", author: "jane-doe", date: "2024-05-01" } }), "articles/2024/my-story.md")).article;
    const b = accepted(parse(articleText({ frontMatter: { title: "Two", author: "jane-doe", date: "2024-05-01" } }), "articles/moved/my-story.md")).article;
    expect(a.id).toBe(b.id);
  });

  it("tolerates a BOM and CRLF line ends", () => {
    const text = `\uFEFF${articleText().replace(/\n/g, "\r\n")}`;
    expect(accepted(parse(text)).article.title).toBe("A title");
  });

  it("derives a summary from the body when none is given", () => {
    const { article } = accepted(parse(articleText({ body: "First *sentence* & more." })));
    expect(article.summary).toBe("First sentence & more.");
  });

  it("strips control characters, lone surrogates and U+FFFE with a warning naming the line", () => {
    const { article, warnings } = accepted(parse(articleText({ body: "line one\nbad\u0007 here\u0000 \uFFFE end" })));
    expect(article.contentHtml).toBe("<p>line one\nbad here  end</p>");
    expect(warnings).toEqual([expect.objectContaining({ field: "body", severity: "warning", message: expect.stringMatching(/U\+0007 \(line 2, column 4\)/) })]);
  });

  it("removes scripts, event handlers and javascript: links; makes links absolute", () => {
    const body = [
      "<script>alert(1)</script>",
      '<img src="/p.jpg" onerror="alert(1)">',
      "[x](javascript:alert(1)) [rel](../other/) [abs](https://a.example/)",
      '<a href="JaVaScRiPt:alert(1)">y</a>',
    ].join("\n\n");
    const html = accepted(parse(articleText({ body }))).article.contentHtml;
    expect(html).not.toMatch(/<script|alert\(1\)<|onerror|href="javascript/i);
    expect(html).toContain('<img src="https://news.example.com/p.jpg" />');
    expect(html).toContain('href="https://news.example.com/other/"');
    expect(html).toContain('href="https://a.example/"');
  });

  it("keeps Urdu file names as Urdu slugs, NFC-normalised", () => {
    const nfd = "articles/خبر-ایک.md".normalize("NFD");
    expect(slugOfKey(nfd)).toBe("خبر-ایک".normalize("NFC"));
    expect(accepted(parse(articleText(), nfd)).article.url).toBe(`https://news.example.com/${encodeURIComponent("خبر-ایک")}/`);
  });

  it("a draft parses and is marked as such", () => {
    expect(accepted(parse(articleText({ frontMatter: { title: "T", author: "jane-doe", date: "2024-05-01", draft: true } }))).article.draft).toBe(true);
  });
});

describe("article files: every bad input gets one line naming the file, the field and the fix", () => {
  const cases: { name: string; text: string | Uint8Array; field: string; message: RegExp }[] = [
    { name: "missing title", text: articleText({ frontMatter: { author: "jane-doe", date: "2024-05-01" } }), field: "title", message: /is missing/ },
    { name: "empty title", text: articleText({ frontMatter: { title: "  ", author: "jane-doe", date: "2024-05-01" } }), field: "title", message: /is empty/ },
    { name: "unknown author", text: articleText({ frontMatter: { title: "T", author: "nobody", date: "2024-05-01" } }), field: "author", message: /no author "nobody" exists/ },
    { name: "unparseable date", text: articleText({ frontMatter: { title: "T", author: "jane-doe", date: "next tuesday" } }), field: "date", message: /not a real date/ },
    { name: "a date that does not exist", text: articleText({ frontMatter: { title: "T", author: "jane-doe", date: "2024-02-30" } }), field: "date", message: /"2024-02-30" is not a real date/ },
    { name: "missing date", text: articleText({ frontMatter: { title: "T", author: "jane-doe" } }), field: "date", message: /is missing/ },
    { name: "broken YAML", text: "---\ntitle: [unclosed\nauthor: jane-doe\n---\nbody\n", field: "front matter", message: /YAML error near line 3/ },
    { name: "YAML with a custom tag", text: "---\ntitle: !!js/function 'x'\nauthor: jane-doe\ndate: 2024-05-01\n---\n", field: "front matter", message: /tag/ },
    { name: "YAML alias bomb", text: `---\na: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\ntitle: T\n---\n`, field: "front matter", message: /YAML|alias/i },
    { name: "no front matter", text: "Just text\n", field: "front matter", message: /does not start with a --- line/ },
    { name: "unclosed front matter", text: "---\ntitle: T\n", field: "front matter", message: /no closing ---/ },
    { name: "an unknown field", text: articleText({ frontMatter: { title: "T", author: "jane-doe", date: "2024-05-01", titel: "x" } }), field: "titel", message: /unknown field "titel"/ },
    { name: "draft is not a boolean", text: articleText({ frontMatter: { title: "T", author: "jane-doe", date: "2024-05-01", draft: "yes" } }), field: "draft", message: /true or false/ },
    { name: "zero-byte file", text: new Uint8Array(), field: "file", message: /empty \(0 bytes\)/ },
    { name: "not UTF-8", text: Uint8Array.from([...bytes("---\ntitle: Caf"), 0xe9, ...bytes("\n---\n")]), field: "file", message: /not valid UTF-8 \(byte 0xe9 at offset 14\)/ },
    { name: "a 5 MB article", text: articleText({ body: "word ".repeat(1_000_000) }), field: "body", message: /MB of HTML; the limit is 300 KB/ },
    { name: "an image of unknown type", text: articleText({ frontMatter: { title: "T", author: "jane-doe", date: "2024-05-01", image: "/pic" } }), field: "image", message: /cannot tell the image type/ },
    { name: "a year out of range", text: articleText({ frontMatter: { title: "T", author: "jane-doe", date: "9999-01-01" } }), field: "date", message: /outside the years/ },
  ];
  for (const c of cases) {
    it(`${c.name}: rejected in ${c.field}`, () => {
      const problems = rejected(parse(c.text));
      const p = problems.find((x) => x.field === c.field);
      expect(p, JSON.stringify(problems)).toBeDefined();
      expect(p!.severity).toBe("error");
      expect(p!.file).toBe("articles/a-title.md");
      expect(p!.message).toMatch(c.message);
      expect(p!.fix.length).toBeGreaterThan(10);
    });
  }

  it("a far-future date is accepted (scheduled) with a warning", () => {
    const r = parse(articleText({ frontMatter: { title: "T", author: "jane-doe", date: "2030-01-01" } }));
    const { warnings } = accepted(r);
    expect(warnings).toEqual([expect.objectContaining({ field: "date", severity: "warning", message: expect.stringMatching(/more than a year ahead/) })]);
  });
});

describe("dates", () => {
  it("reads a date without a zone in the site's zone, and keeps an explicit offset", () => {
    expect(parseDate("2024-05-01 10:00", "Asia/Karachi")).toEqual({ ok: true, iso: "2024-05-01T05:00:00.000Z" });
    expect(parseDate("2024-05-01T10:00:00-04:00", "Asia/Karachi")).toEqual({ ok: true, iso: "2024-05-01T14:00:00.000Z" });
    expect(parseDate("2024-05-01", "UTC")).toEqual({ ok: true, iso: "2024-05-01T00:00:00.000Z" });
    expect(parseDate("2024-13-01", "UTC").ok).toBe(false);
  });

  it("says in an editor's words why a date is not real", () => {
    const why = (v: string) => { const r = parseDate(v, "Asia/Karachi"); return r.ok ? r.iso : r.why; };
    expect(why("2024-02-30")).toBe('"2024-02-30" is not a real date (February 2024 has 29 days)');
    expect(why("2023-02-29")).toBe('"2023-02-29" is not a real date (February 2023 has 28 days)');
    expect(why("2024-04-31 10:00")).toBe('"2024-04-31 10:00" is not a real date (April 2024 has 30 days)');
    expect(why("2024-13-01")).toBe('"2024-13-01" is not a real date (there is no month 13)');
    expect(why("2024-05-01 25:00")).toBe('"2024-05-01 25:00" is not a real date (there is no time 25:00)');
    expect(why("next tuesday")).toBe('"next tuesday" is not a real date (not in YYYY-MM-DD HH:MM form)');
    expect(why("2024-05-01T10:00:00+99:00")).toMatch(/has the UTC offset \+99:00, which no place uses/);
    expect(why("2024-02-29")).toBe("2024-02-28T19:00:00.000Z");
  });
});

describe("site.yaml and authors", () => {
  it("site.yaml: defaults, and an error per wrong field", () => {
    const ok = parseSite("site.yaml", bytes("title: T\nbaseUrl: https://f.example.com/\n"));
    expect(ok.ok && ok.value).toMatchObject({ baseUrl: "https://f.example.com", language: "en", timeZone: "UTC", itemsPerFeed: 50, hubs: [], idPrefix: "tag:f.example.com,2026:", articleUrl: "https://f.example.com/{slug}/" });
    const bad = rejected(parseSite("site.yaml", bytes("title: T\nbaseUrl: ftp://x\ntimeZone: Mars/Base\nitemsPerFeed: 0\n")));
    expect(bad.map((p) => p.field).sort()).toEqual(["baseUrl", "itemsPerFeed", "timeZone"]);
  });

  it("author: name required, email checked, bio rendered", () => {
    const ok = parseAuthor("authors/jane-doe.md", bytes("---\nname: Jane\nemail: jane@example.com\n---\nHello *there*\n"), site);
    expect(ok.ok && ok.value).toEqual({ slug: "jane-doe", name: "Jane", email: "jane@example.com", bioHtml: "<p>Hello <em>there</em></p>" });
    const bad = rejected(parseAuthor("authors/x.md", bytes("---\nemail: not-an-email\n---\n"), site));
    expect(bad.map((p) => p.field).sort()).toEqual(["email", "name"]);
  });

  it("classifies keys: editor temp files and .DS_Store are ignored", () => {
    expect(classifyKey("site.yaml")).toBe("site");
    expect(classifyKey("authors/a.md")).toBe("author");
    expect(classifyKey("articles/2024/x.md")).toBe("article");
    for (const k of ["articles/.DS_Store", "articles/x.md~", "articles/.x.md.swp", "articles/#x.md#", "articles/x.txt", "_reports/articles/x.md.txt", "articles/.hidden.md"]) {
      expect(classifyKey(k), k).toBe("ignored");
    }
  });
});
