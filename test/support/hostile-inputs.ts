/**
 * Pathological content files, one per class of attack on the parser (size, structure,
 * regex, YAML, counts, field lengths). Shared by the pure parse tests, the
 * memory-bounded ingest test (a Worker with a 128 MB heap) and `bench/hostile.ts`.
 * Bodies are built lazily so a test pays only for the inputs it runs.
 */

export interface HostileInput {
  readonly name: string;
  /** Content key, relative to the content root. */
  readonly key: string;
  readonly bytes: () => Uint8Array;
  /** What the file must get: a rejection naming `field` with a message matching `message`, or a publish. */
  readonly expect: Expected;
  /** What ingest gives, when it differs from the pure parse (ingest checks the file size before reading). */
  readonly ingest?: Expected;
  /** Too big to parse in the test process itself; only ingest (which reads no further than the limit) sees it. */
  readonly ingestOnly?: boolean;
  /** Written as `bytes()` extended with zero bytes to this size (a sparse file), so no test holds it in memory. */
  readonly fileSize?: number;
}

export type Expected =
  | { readonly outcome: "rejected"; readonly field: string; readonly message: RegExp }
  | { readonly outcome: "published" };

const tooLarge = (size: RegExp): Expected => ({ outcome: "rejected", field: "file", message: new RegExp(`the file is ${size.source}; the limit is 500 KB`) });

const enc = (s: string) => new TextEncoder().encode(s);
const fm = (lines: string, body = "Body.") => enc(`---\n${lines}\n---\n${body}\n`);
const BASE = 'title: T\nauthor: jane\ndate: 2024-05-01 10:00';

/** A Markdown table `cols` wide and as many rows as fit in `bytes`. */
function table(bytes: number, cols = 200): string {
  const header = `|${"h|".repeat(cols)}\n|${"-|".repeat(cols)}\n`;
  const row = `|${"a|".repeat(cols)}\n`;
  return header + row.repeat(Math.ceil((bytes - header.length) / row.length));
}

export const HOSTILE_ARTICLES: readonly HostileInput[] = [
  {
    name: "1 MB Markdown table", key: "articles/table-1mb.md", bytes: () => fm(BASE, table(1_000_000)),
    expect: { outcome: "rejected", field: "body", message: /more than 150,000 Markdown elements/ }, ingest: tooLarge(/1\.0 MB/),
  },
  {
    name: "480 KB Markdown table (under the file limit)", key: "articles/table-500kb.md", bytes: () => fm(BASE, table(480_000)),
    expect: { outcome: "rejected", field: "body", message: /more than 150,000 Markdown elements/ },
  },
  {
    name: "1 character per row table, 200 columns (auto-completed cells)", key: "articles/table-narrow.md", bytes: () => fm(BASE, `|${"h|".repeat(200)}\n|${"-|".repeat(200)}\n${"a\n".repeat(200_000)}`),
    expect: { outcome: "rejected", field: "body", message: /Markdown elements|MB of HTML/ },
  },
  {
    name: "96 KB of one long reference link used 19,000 times", key: "articles/ref-links.md",
    bytes: () => fm(BASE, `[x]: https://example.com/${"a".repeat(2500)}\n\n${"[x] ".repeat(23_000)}`),
    expect: { outcome: "rejected", field: "body", message: /more than 0\.6 MB of HTML; the limit is 300 KB/ },
  },
  {
    name: "400 KB of nested [ brackets", key: "articles/brackets.md", bytes: () => fm(BASE, `${"[".repeat(200_000)}a${"]".repeat(200_000)}`),
    expect: { outcome: "rejected", field: "body", message: /MB of HTML; the limit is 300 KB/ },
  },
  {
    name: "450 KB of emphasis delimiters (**_)", key: "articles/emphasis.md", bytes: () => fm(BASE, "**_".repeat(150_000)),
    expect: { outcome: "rejected", field: "body", message: /more than 150,000 Markdown elements/ },
  },
  {
    name: "450 KB of setext headings", key: "articles/setext.md", bytes: () => fm(BASE, "a\n=\n".repeat(112_000)),
    expect: { outcome: "rejected", field: "body", message: /more than 150,000 Markdown elements/ },
  },
  {
    name: "5 MB of words", key: "articles/words.md", bytes: () => fm(BASE, "word ".repeat(1_000_000)),
    expect: { outcome: "rejected", field: "body", message: /more than 0\.6 MB of HTML; the limit is 300 KB/ }, ingest: tooLarge(/5\.0 MB/),
  },
  {
    name: "100 MB body (read no further than the limit)", key: "articles/huge.md", bytes: () => fm(BASE, "x"), fileSize: 100_000_000,
    expect: tooLarge(/100\.0 MB/), ingestOnly: true,
  },
  {
    name: "date with 100 KB of spaces", key: "articles/date-spaces.md", bytes: () => fm(`title: T\nauthor: jane\ndate: "2024-05-01${" ".repeat(100_000)}x"`),
    expect: { outcome: "rejected", field: "front matter", message: /the front matter is 100 KB; the limit is 64 KB/ },
  },
  {
    name: "date with 30 KB of spaces (within the front matter limit)", key: "articles/date-spaces-30k.md", bytes: () => fm(`title: T\nauthor: jane\ndate: "2024-05-01${" ".repeat(30_000)}x"`),
    expect: { outcome: "rejected", field: "date", message: /longer than 64 characters/ },
  },
  {
    name: "40,000 front-matter keys", key: "articles/keys-40k.md", bytes: () => fm(`${BASE}\n${Array.from({ length: 40_000 }, (_, i) => `k${i}: 1`).join("\n")}`),
    expect: { outcome: "rejected", field: "front matter", message: /the front matter is \d+ KB; the limit is 64 KB/ },
  },
  {
    name: "5,000 front-matter keys (within the size limit)", key: "articles/keys-5k.md", bytes: () => fm(`${BASE}\n${Array.from({ length: 5_000 }, (_, i) => `k${i}: 1`).join("\n")}`),
    expect: { outcome: "rejected", field: "front matter", message: /5003 keys in one mapping; the limit is 100/ },
  },
  {
    name: "6,000 duplicate keys", key: "articles/dup-keys.md", bytes: () => fm(`${BASE}\n${"title: T\n".repeat(6_000)}`),
    expect: { outcome: "rejected", field: "front matter", message: /keys in one mapping|appears twice/ },
  },
  {
    name: "90 duplicate keys (the report lists the first 10)", key: "articles/dup-keys-90.md", bytes: () => fm(`${BASE}\n${Array.from({ length: 90 }, () => "title: T").join("\n")}`),
    expect: { outcome: "rejected", field: "front matter", message: /the key "title" appears twice/ },
  },
  {
    name: "2,000 categories", key: "articles/cats-2k.md", bytes: () => fm(`${BASE}\ncategories: [${Array.from({ length: 2_000 }, (_, i) => `c${i}`).join(", ")}]`),
    expect: { outcome: "rejected", field: "categories", message: /lists more than 20 categories/ },
  },
  {
    name: "20,000 categories", key: "articles/cats-20k.md", bytes: () => fm(`${BASE}\ncategories: ${Array.from({ length: 20_000 }, (_, i) => `c${i}`).join(",")}`),
    expect: { outcome: "rejected", field: "front matter", message: /the front matter is \d+ KB; the limit is 64 KB/ },
  },
  {
    name: "1,000 authors", key: "articles/authors-1k.md", bytes: () => fm(`title: T\ndate: 2024-05-01\nauthor: [${Array.from({ length: 1_000 }, (_, i) => `a${i}`).join(", ")}]`),
    expect: { outcome: "rejected", field: "author", message: /lists more than 10 authors/ },
  },
  {
    name: "200 tags", key: "articles/tags.md", bytes: () => fm(`${BASE}\ntags: [${Array.from({ length: 200 }, (_, i) => `t${i}`).join(", ")}]`),
    expect: { outcome: "rejected", field: "tags", message: /lists more than 50 tags/ },
  },
  {
    name: "1 MB title", key: "articles/title-1mb.md", bytes: () => fm(`title: "${"T".repeat(1_000_000)}"\nauthor: jane\ndate: 2024-05-01`),
    expect: { outcome: "rejected", field: "front matter", message: /the front matter is 1\.0 MB; the limit is 64 KB/ }, ingest: tooLarge(/1\.0 MB/),
  },
  {
    name: "60 KB title", key: "articles/title-60kb.md", bytes: () => fm(`title: "${"T".repeat(60_000)}"\nauthor: jane\ndate: 2024-05-01`),
    expect: { outcome: "rejected", field: "title", message: /is 60 KB long; the limit is 2,000 bytes/ },
  },
  {
    name: "20 KB Urdu title (2 bytes a letter)", key: "articles/title-urdu.md", bytes: () => fm(`title: "${"خ".repeat(10_000)}"\nauthor: jane\ndate: 2024-05-01`),
    expect: { outcome: "rejected", field: "title", message: /is 20 KB long; the limit is 2,000 bytes/ },
  },
  {
    name: "category of 1,200 bytes", key: "articles/cat-long.md", bytes: () => fm(`${BASE}\ncategories: ["${"ک".repeat(600)}"]`),
    expect: { outcome: "rejected", field: "categories.0", message: /is 1,200 bytes long; the limit is 400 bytes/ },
  },
  {
    name: "summary of 10 KB", key: "articles/summary.md", bytes: () => fm(`${BASE}\nsummary: "${"s ".repeat(5_000)}"`),
    expect: { outcome: "rejected", field: "summary", message: /the limit is 8,000 bytes/ },
  },
  {
    name: "image type that breaks out of an attribute", key: "articles/image-type.md", bytes: () => fm(`${BASE}\nimage: { url: /a.jpg, type: 'image/jpeg" foo="<&x' }`),
    expect: { outcome: "rejected", field: "image.type", message: /must be a MIME type/ },
  },
  {
    name: "javascript: image URL", key: "articles/image-js.md", bytes: () => fm(`${BASE}\nimage: "javascript:alert(1)//a.png"`),
    expect: { outcome: "rejected", field: "image", message: /is not a usable URL/ },
  },
  {
    name: "a file name of 300 bytes", key: `articles/${"n".repeat(240)}.md`, bytes: () => fm(BASE),
    expect: { outcome: "rejected", field: "file name", message: /the file name is 240 bytes long; the limit is 200/ },
  },
  {
    name: "YAML nested 10,000 deep", key: "articles/deep.md", bytes: () => fm(`${BASE}\nx: ${"[".repeat(10_000)}${"]".repeat(10_000)}`),
    expect: { outcome: "rejected", field: "front matter", message: /YAML|unknown field/ },
  },
  {
    name: "every field at its limit (stays below DynamoDB's 400 KB item)", key: "articles/at-limits.md",
    bytes: () => fm(
      [
        `title: "${"ت".repeat(1_000)}"`, "author: [jane]", "date: 2024-05-01 10:00",
        `summary: "${"س".repeat(4_000)}"`,
        `categories: [${Array.from({ length: 20 }, (_, i) => `"${"ز".repeat(195)} ${i}"`).join(", ")}]`,
        `tags: [${Array.from({ length: 50 }, (_, i) => `"${"ٹ".repeat(195)} ${i}"`).join(", ")}]`,
      ].join("\n"),
      `${"word ".repeat(59_000)}`,
    ),
    expect: { outcome: "published" },
  },
];

/** site.yaml files that must be refused: each would put a hostile value into every feed or page. */
export const HOSTILE_SITES: readonly HostileInput[] = [
  ["javascript: articleUrl", "articleUrl: javascript:alert(document.domain)//{slug}", "articleUrl", /must be an absolute http\(s\) URL/],
  ["articleUrl with <", "articleUrl: https://x.example/<b>/{slug}", "articleUrl", /must not contain "<"/],
  ["relative articleUrl", "articleUrl: /{slug}/", "articleUrl", /must be an absolute http\(s\) URL/],
  ["articleUrl without {slug}", "articleUrl: https://x.example/story", "articleUrl", /must contain \{slug\}/],
  ["icon with control characters", 'icon: "https://x.example/\\u00010\\u0002.png"', "icon", /must not contain the character U\+0001/],
  ["javascript: hub", "hubs: [javascript:alert(1)]", "hubs.0", /absolute http\(s\) URL/],
  ["11 hubs", `hubs: [${Array.from({ length: 11 }, (_, i) => `https://h${i}.example/`).join(", ")}]`, "hubs", /more than 10 hubs/],
  ["baseUrl with a query", "baseUrl: https://x.example/?a=1", "baseUrl", /must not have a query/],
  ["language that is not BCP 47", "language: english", "language", /language tag/],
  ["time zone as an offset", 'timeZone: "+05:00"', "timeZone", /IANA time zone/],
  ["a made-up time zone", "timeZone: Mars/Olympus", "timeZone", /IANA time zone/],
  ["id with a quote", 'id: tag:x.example,2026:"<', "id", /tag URI prefix/],
].map(([name, line, field, message]) => ({
  name: `site.yaml: ${name as string}`, key: "site.yaml",
  bytes: () => enc(`title: T\n${(line as string).startsWith("baseUrl") ? "" : "baseUrl: https://feeds.example.com\n"}${line as string}\n`),
  expect: { outcome: "rejected" as const, field: field as string, message: message as RegExp },
} as HostileInput)).concat([{
  name: "site.yaml: 40 KB", key: "site.yaml",
  bytes: () => enc(`title: T\nbaseUrl: https://feeds.example.com\ndescription: "${"d".repeat(40_000)}"\n`),
  expect: { outcome: "rejected", field: "description", message: /is 40 KB long; the limit is 8,000 bytes/ },
  ingest: { outcome: "rejected", field: "file", message: /the file is 40 KB; the limit is 32 KB/ },
}]);

/** Author files that must be refused. */
export const HOSTILE_AUTHORS: readonly HostileInput[] = [
  ["javascript: url", "url: javascript:alert(1)", "url", /absolute http\(s\) URL/],
  ["javascript: avatar", "avatar: javascript:alert(1)", "avatar", /http\(s\) image URL/],
  ["email with markup", 'email: "a<b>@x.example"', "email", /email address/],
  ["name of 2 KB", `name: "${"n".repeat(2_000)}"`, "name", /the limit is 400 bytes/],
  ["a 30 KB bio", "", "body", /the bio is 30 KB of HTML; the limit is 20 KB/],
].map(([name, line, field, message]) => ({
  name: `author: ${name as string}`, key: "authors/evil.md",
  bytes: () => enc(`---\nname: Evil\n${line as string}\n---\n${field === "body" ? "bio ".repeat(7_500) : "Bio."}\n`.replace(/^name: Evil\n(name: )/m, "$1")),
  expect: { outcome: "rejected" as const, field: field as string, message: message as RegExp },
}));
