import { describe, expect, it } from "vitest";
import { parseArticle, parseAuthor, parseDate, parseSite, type Parsed } from "../../lambdas/core/content/index.js";
import { MAX_CATEGORY_SLUG_BYTES, MAX_PROBLEMS, utf8Bytes } from "../../lambdas/core/limits.js";
import { renderMarkdown } from "../../lambdas/core/markdown.js";
import type { Problem } from "../../lambdas/core/model.js";
import { categorySlug } from "../../lambdas/core/slug.js";
import { aSite, articleText, bytes } from "../support/builders.js";
import { HOSTILE_ARTICLES, HOSTILE_AUTHORS, HOSTILE_SITES, type HostileInput } from "../support/hostile-inputs.js";

/**
 * The attack review's "Hostile input" table, as pure parses: each input gets a one-line
 * rejection naming the file, the field and the limit (or a safe publish), fast. At
 * 4fbe7cf these took up to minutes, gigabytes, or threw.
 */

const site = aSite();
const ctx = { site, authors: new Set(["jane"]), now: new Date("2024-06-01T00:00:00Z") };

function parse(input: HostileInput): Parsed<unknown> {
  const b = input.bytes();
  if (input.key === "site.yaml") return parseSite(input.key, b);
  if (input.key.startsWith("authors/")) return parseAuthor(input.key, b, site);
  return parseArticle(input.key, b, ctx);
}

function problemsOf(r: Parsed<unknown>): Problem[] {
  if (r.ok) throw new Error("expected a rejection");
  return r.problems;
}

/** Generous: the quadratic cases took 15 to 128 s; these take milliseconds (bench/hostile.ts). */
const TIME_LIMIT_MS = 3_000;

describe("hostile input: every pathological file is refused in one line, quickly", () => {
  for (const input of [...HOSTILE_ARTICLES, ...HOSTILE_SITES, ...HOSTILE_AUTHORS].filter((i) => !i.ingestOnly)) {
    it(input.name, () => {
      const t = performance.now();
      const r = parse(input);
      const ms = performance.now() - t;
      expect(ms).toBeLessThan(TIME_LIMIT_MS);
      const want = input.expect;
      if (want.outcome === "published") {
        expect(r.ok, JSON.stringify(r.ok ? "" : r.problems)).toBe(true);
        return;
      }
      const problems = problemsOf(r);
      expect(problems.length).toBeLessThanOrEqual(MAX_PROBLEMS + 1);
      const p = problems.find((x) => x.field === want.field);
      expect(p, JSON.stringify(problems).slice(0, 500)).toBeDefined();
      expect(p!.message).toMatch(want.message);
      expect(p!.file).toBe(input.key);
      expect(p!.fix.length).toBeGreaterThan(10);
      // One line each, short enough to read: no value is echoed whole.
      for (const q of problems) expect(`${q.field}: ${q.message}. Fix: ${q.fix}`.length, q.message.slice(0, 100)).toBeLessThan(600);
      for (const q of problems) expect(q.message).not.toMatch(/\n/);
    });
  }

  it("a date with 100 KB of spaces before the zone is refused at once (the zone regex was quadratic)", () => {
    const t = performance.now();
    const r = parseDate(`2024-05-01${" ".repeat(100_000)}Z`, "UTC");
    expect(performance.now() - t).toBeLessThan(100);
    expect(r).toEqual({ ok: false, why: expect.stringMatching(/is 100011 characters long; a date is at most 64/) });
    // The spaces before an offset are still tolerated in a real date.
    expect(parseDate("2024-05-01 10:00   +05:00", "UTC")).toEqual({ ok: true, iso: "2024-05-01T05:00:00.000Z" });
  });

  it("90 duplicate keys: the report lists the first ten and counts the rest", () => {
    const problems = problemsOf(parse(HOSTILE_ARTICLES.find((i) => i.key === "articles/dup-keys-90.md")!));
    expect(problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(problems[0]!.message).toBe('YAML error near line 5: the key "title" appears twice');
    expect(problems.at(-1)!.message).toBe("80 more problems not listed");
  });

  it("an article with every field at its limit fits a DynamoDB item (400 KB) with room to spare", () => {
    const r = parse(HOSTILE_ARTICLES.find((i) => i.key === "articles/at-limits.md")!);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(utf8Bytes(JSON.stringify(r.value))).toBeLessThan(360_000);
  });

  it("render stops at its budget: a reference link used 23,000 times is not rendered whole", () => {
    const md = `[x]: https://example.com/${"a".repeat(2500)}\n\n${"[x] ".repeat(23_000)}`;
    expect(renderMarkdown(md, "https://n.example/", { maxTokens: 150_000, maxHtmlChars: 600_000 })).toEqual({ ok: false, limit: "html" });
    expect(renderMarkdown("| a | b |\n|---|---|\n| 1 | 2 |\n".repeat(1), "https://n.example/", { maxTokens: 10, maxHtmlChars: 600_000 })).toEqual({ ok: false, limit: "tokens" });
  });
});

describe("site.yaml: valid settings still pass", () => {
  it("accepts real URLs, tags and zones", () => {
    const r = parseSite("site.yaml", bytes([
      "title: T", "baseUrl: https://feeds.example.com", "articleUrl: https://news.example.com/story/{slug}?ref=feed",
      "language: ur-PK", "timeZone: America/Argentina/Buenos_Aires", "icon: https://cdn.example.com/icon.png",
      "hubs: [https://pubsubhubbub.appspot.com/]", 'id: "tag:example.com,2026:"',
    ].join("\n")));
    expect(r.ok, JSON.stringify(r.ok ? "" : r.problems)).toBe(true);
    for (const tz of ["UTC", "Asia/Karachi", "Asia/Calcutta", "Etc/GMT+5"]) {
      expect(parseSite("site.yaml", bytes(`title: T\nbaseUrl: https://f.example.com\ntimeZone: ${tz}\n`)).ok, tz).toBe(true);
    }
  });
});

describe("category slugs: distinct names get distinct slugs, whatever the order", () => {
  it("plain names keep their plain slug", () => {
    expect(categorySlug("Electric Cars")).toBe("electric-cars");
    expect(categorySlug("News")).toBe("news");
    expect(categorySlug("اردو")).toBe("اردو");
    expect(categorySlug("Covid 19")).toBe("covid-19");
  });

  it("C++, C# and C; A B and a-b; 🚀 Launch and launch: never one feed", () => {
    for (const group of [["C++", "C#", "C", "c plus plus", "C sharp"], ["A B", "a-b", "a_b"], ["🚀 Launch", "launch", "Launch!"], ["..", ".", "🚀", "🎉", "archive", "Archive"]]) {
      const slugs = group.map(categorySlug);
      expect(new Set(slugs).size, `${group.join(" | ")} → ${slugs.join(" | ")}`).toBe(group.length - (group.includes("Archive") ? 1 : 0));
      for (const s of slugs) expect(s).toMatch(/^[\p{L}\p{M}\p{N}]+(-[\p{L}\p{M}\p{N}]+)*(--[0-9a-z]{10})?$/u);
    }
    expect(categorySlug("C++")).toMatch(/^c-plus-plus--[0-9a-z]{10}$/);
    expect(categorySlug("C#")).toMatch(/^c-sharp--[0-9a-z]{10}$/);
    expect(categorySlug("..")).toMatch(/^category--[0-9a-z]{10}$/);
    expect(categorySlug("archive")).not.toBe("archive");
  });

  it("bounded: a 300-character name gets a slug of at most 100 bytes, still distinct", () => {
    const a = categorySlug("x".repeat(300));
    const b = categorySlug(`${"x".repeat(299)}y`);
    expect(utf8Bytes(a)).toBeLessThanOrEqual(MAX_CATEGORY_SLUG_BYTES);
    expect(a).not.toBe(b);
    expect(utf8Bytes(categorySlug("ک".repeat(300)))).toBeLessThanOrEqual(MAX_CATEGORY_SLUG_BYTES);
  });

  it("one article: distinct feeds for C++ and C#, a warning when two names are one category", () => {
    const r = parseArticle("articles/a.md", bytes(articleText({ frontMatter: { title: "T", author: "jane", date: "2024-05-01", categories: ["C++", "C#", "C", "News", "news", ".."] } })), ctx);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.value.categories.map((c) => c.name)).toEqual(["C++", "C#", "C", "News", ".."]);
    expect(new Set(r.value.categories.map((c) => c.slug)).size).toBe(5);
    expect(r.warnings).toEqual([expect.objectContaining({ field: "categories", severity: "warning", message: '"News" and "news" are the same category (they differ only in letter case); kept "News"' })]);
  });
});

describe("article HTML: srcset", () => {
  it("relative srcset candidates become absolute like src and href; unusable ones are dropped", () => {
    const body = '<picture><source srcset="/a.webp 1x, b.webp 2x" type="image/webp"><img src="/a.jpg"></picture>\n\n<picture><source srcset="javascript:alert(1) 1x"><img src="/b.jpg"></picture>';
    const r = parseArticle("articles/a.md", bytes(articleText({ frontMatter: { title: "T", author: "jane", date: "2024-05-01" }, body })), ctx);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.value.contentHtml).toContain('srcset="https://news.example.com/a.webp 1x, https://news.example.com/a/b.webp 2x"');
    expect(r.value.contentHtml).not.toMatch(/javascript/);
  });
});

describe("a parser bug is still one rejected file", () => {
  it("an exception inside parsing becomes a problem naming the file, not a thrown error", () => {
    const broken = { ...ctx, authors: { has: () => { throw new RangeError("boom"); } } as unknown as ReadonlySet<string> };
    const r = parseArticle("articles/a.md", bytes(articleText({ frontMatter: { title: "T", author: "jane", date: "2024-05-01" } })), broken);
    expect(r).toEqual({ ok: false, problems: [expect.objectContaining({ file: "articles/a.md", field: "file", message: "the file could not be read (RangeError: boom)" })] });
  });
});
