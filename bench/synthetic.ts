import type { Article, Author, Category, Site } from "../lambdas/core/model.js";
import { categorySlug } from "../lambdas/core/slug.js";
import { escapeXml, slugify, truncateWords } from "../lambdas/core/text.js";

/**
 * Deterministic synthetic archives for `npm run bench`: a seeded PRNG (mulberry32), no
 * Math.random. Article `i` is a pure function of `i`, so any slice of an archive can be
 * generated on its own (in import chunks, in the Markdown writer) and every run of the
 * benchmark sees the same bytes.
 *
 * - 20 categories, 50 authors (a few prolific, most occasional).
 * - About one article an hour (24 a day): 100,000 articles span eleven years.
 * - Bodies are 3 to 10 paragraphs of 50 to 120 words (2 to 8 KB of HTML) with links,
 *   emphasis, headings, quotes and lists; 7% are long reads of 15 to 35 paragraphs.
 * - 5% are Urdu (`lang: "ur"`, Urdu title, body and slug).
 *
 * The same article can be produced as an `Article` object (the bulk imports: parsing
 * 100,000 Markdown files would measure the parser, not publishing) or as a Markdown file
 * in the content format of the README (the serve-mode benchmark).
 */

/** mulberry32: small, fast, good enough for synthetic text. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 0x6ead2026;
/** A PRNG for item `i` of stream `stream`, independent of every other item. */
const rngFor = (stream: number, i: number) => rng(Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca77) ^ SEED);

export const ID_PREFIX = "tag:bench.example,2026:";

export const site: Site = {
  title: "Bench News",
  baseUrl: "https://bench.example",
  articleUrl: "https://bench.example/{slug}/",
  language: "en",
  timeZone: "UTC",
  description: "A synthetic news site for npm run bench",
  itemsPerFeed: 50,
  archivePageSize: 100,
  hubs: [],
  idPrefix: ID_PREFIX,
};

/** `site.yaml` giving the same `Site` through the real parser. */
export const SITE_YAML = `title: Bench News
baseUrl: https://bench.example
articleUrl: "https://bench.example/{slug}/"
description: A synthetic news site for npm run bench
language: en
timeZone: UTC
itemsPerFeed: 50
id: "${ID_PREFIX}"
`;

const CATEGORY_NAMES = [
  "Electric Cars", "Technology", "Business", "Startups", "Telecom", "Energy", "Policy", "Science", "Mobile", "Internet",
  "Finance", "Education", "Health", "Sports", "Climate", "Transport", "Security", "Gaming", "Media", "World",
];
export const CATEGORIES: Category[] = CATEGORY_NAMES.map((name) => ({ slug: categorySlug(name), name }));

const FIRST = ["Ayesha", "Usman", "Fatima", "Bilal", "Sana", "Hamza", "Zainab", "Omar", "Mehwish", "Imran"];
const LAST = ["Khan", "Aslam", "Qureshi", "Siddiqui", "Malik"];
export const AUTHORS: Author[] = Array.from({ length: 50 }, (_, i) => {
  const name = `${FIRST[i % 10]} ${LAST[Math.floor(i / 10)]}`;
  const slug = slugify(name);
  return {
    slug, name, url: `https://bench.example/authors/${slug}/`,
    bioHtml: `<p>${name} covers ${CATEGORY_NAMES[i % 20]!.toLowerCase()} for Bench News.</p>`,
  };
});

/** The Markdown of an author file. */
export function authorMarkdown(a: Author): string {
  return `---\nname: ${a.name}\nurl: ${a.url}\n---\n${a.name} covers ${CATEGORY_NAMES[AUTHORS.indexOf(a) % 20]!.toLowerCase()} for Bench News.\n`;
}

const EN = (
  "the a of to and in on for with by from at as that this new city country government minister said report market growth investment " +
  "electric battery charging network solar wind power grid policy budget tax bank rupee dollar export import company startup founder " +
  "funding round users mobile phone internet broadband fibre operator spectrum auction regulator court ruling election parliament " +
  "province district school university students teachers hospital doctors patients vaccine climate flood heat rain water supply " +
  "traffic metro bus railway airport flight cricket match team captain series league stadium security police data privacy cyber attack " +
  "software platform app launch update service price increase decrease percent year month week today officials announced expected " +
  "plans project phase construction contract partners agreement talks deal analysts investors shares index record quarter profit loss"
).split(" ");
const UR = (
  "ملک بھر میں شمسی توانائی کے نئے منصوبوں کا اعلان کیا گیا ہے حکومت نے بجلی کی قیمت پر غور شہر کراچی لاہور اسلام آباد " +
  "وزیر نے کہا کہ اس سال معیشت میں بہتری آئی اور برآمدات بڑھ گئیں طلبہ اساتذہ اسکول جامعہ صحت ہسپتال ڈاکٹر مریض بارش " +
  "پانی سیلاب موسم کرکٹ ٹیم میچ کپتان سیریز موبائل انٹرنیٹ صارفین کمپنی سرمایہ کاری بینک روپیہ ڈالر منڈی"
).split(" ");
const EN_TITLE = EN.filter((w) => w.length > 3);
const TAGS = ["ev", "charging", "5g", "budget", "cricket", "solar", "fintech", "startups", "privacy", "floods", "exports", "ai", "metro", "psl", "it-exports"];

/** Picks an index in [0, n) with a skew towards small indexes (a few prolific authors, popular categories). */
const skewed = (r: () => number, n: number, power = 1.6) => Math.min(n - 1, Math.floor(n * r() ** power));
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

type Span = { text: string; style?: "strong" | "em" | "link"; href?: string };
type Block = { kind: "p" | "h2" | "quote" | "li"; spans: Span[] };

function words(r: () => number, vocab: readonly string[], n: number): string {
  return Array.from({ length: n }, () => pick(r, vocab)).join(" ");
}

function paragraph(r: () => number, vocab: readonly string[], urdu: boolean): Span[] {
  const spans: Span[] = [];
  const sentences = 3 + Math.floor(r() * 4);
  let total = 0;
  const target = 50 + Math.floor(r() * 70);
  for (let s = 0; s < sentences && total < target; s++) {
    const n = Math.max(6, Math.floor((target - total) / (sentences - s)));
    total += n;
    let text = words(r, vocab, n);
    if (!urdu) text = text[0]!.toUpperCase() + text.slice(1);
    const x = r();
    if (x < 0.06) {
      spans.push({ text: `${text} `, style: "link", href: `https://bench.example/${pick(r, vocab)}-${Math.floor(r() * 1e6)}/` });
    } else if (x < 0.1) {
      spans.push({ text: `${text}${urdu ? "۔" : "."} `, style: r() < 0.5 ? "strong" : "em" });
    } else {
      spans.push({ text: `${text}${urdu ? "۔" : "."} ` });
    }
  }
  return spans;
}

function body(r: () => number, urdu: boolean): Block[] {
  const vocab = urdu ? UR : EN;
  const long = r() < 0.07;
  const n = long ? 15 + Math.floor(r() * 21) : 3 + Math.floor(r() * 8);
  const blocks: Block[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    if (i > 0 && x < 0.08) blocks.push({ kind: "h2", spans: [{ text: words(r, vocab, 3 + Math.floor(r() * 4)) }] });
    else if (i > 0 && x < 0.13) blocks.push({ kind: "quote", spans: paragraph(r, vocab, urdu).slice(0, 2) });
    else if (i > 0 && x < 0.17) for (let k = 0; k < 3; k++) blocks.push({ kind: "li", spans: [{ text: words(r, vocab, 5 + Math.floor(r() * 8)) }] });
    blocks.push({ kind: "p", spans: paragraph(r, vocab, urdu) });
  }
  return blocks;
}

const spanHtml = (s: Span) => {
  const t = escapeXml(s.text.trimEnd());
  const out = s.style === "link" ? `<a href="${s.href}">${t}</a>` : s.style ? `<${s.style}>${t}</${s.style}>` : t;
  return out;
};
const spansHtml = (spans: Span[]) => spans.map(spanHtml).join(" ");
const spanMd = (s: Span) => {
  const t = s.text.trimEnd();
  return s.style === "link" ? `[${t}](${s.href})` : s.style === "strong" ? `**${t}**` : s.style === "em" ? `*${t}*` : t;
};
const spansMd = (spans: Span[]) => spans.map(spanMd).join(" ");

function toHtml(blocks: Block[]): string {
  const out: string[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.kind === "li") {
      const items: string[] = [];
      for (; i < blocks.length && blocks[i]!.kind === "li"; i++) items.push(`<li>${spansHtml(blocks[i]!.spans)}</li>`);
      i--;
      out.push(`<ul>\n${items.join("\n")}\n</ul>`);
    } else if (b.kind === "quote") out.push(`<blockquote>\n<p>${spansHtml(b.spans)}</p>\n</blockquote>`);
    else out.push(`<${b.kind}>${spansHtml(b.spans)}</${b.kind}>`);
  }
  return `${out.join("\n")}\n`;
}

function toMarkdown(blocks: Block[]): string {
  const out: string[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.kind === "li") {
      const items: string[] = [];
      for (; i < blocks.length && blocks[i]!.kind === "li"; i++) items.push(`- ${spansMd(blocks[i]!.spans)}`);
      i--;
      out.push(items.join("\n"));
    } else if (b.kind === "quote") out.push(`> ${spansMd(b.spans)}`);
    else if (b.kind === "h2") out.push(`## ${spansMd(b.spans)}`);
    else out.push(spansMd(b.spans));
  }
  return `${out.join("\n\n")}\n`;
}

const BASE_MS = Date.UTC(2015, 0, 1, 6, 0);
const HOUR = 3_600_000;

/** Everything about article `i` but its rendering; `at` overrides the publication hour. */
interface Spec {
  readonly slug: string;
  readonly title: string;
  readonly urdu: boolean;
  readonly authors: string[];
  readonly categories: Category[];
  readonly tags: string[];
  readonly published: string;
  readonly updated: string;
  readonly image: boolean;
  readonly blocks: Block[];
}

function spec(i: number, hour = i): Spec {
  const r = rngFor(1, i);
  const urdu = r() < 0.05;
  const title = urdu
    ? words(r, UR, 5 + Math.floor(r() * 6))
    : (() => { const t = words(r, EN_TITLE, 5 + Math.floor(r() * 7)); return t[0]!.toUpperCase() + t.slice(1); })();
  // Readable slugs, unique by their numeric suffix; Urdu slugs stay Urdu (README: Urdu file names are fine).
  const slug = `${slugify(title).split("-").slice(0, 6).join("-")}-${i.toString(36)}`;
  const first = skewed(r, AUTHORS.length);
  const authors = [AUTHORS[first]!.slug];
  if (r() < 0.08) authors.push(AUTHORS[(first + 1 + Math.floor(r() * 49)) % 50]!.slug);
  const nCat = r() < 0.45 ? 1 : r() < 0.8 ? 2 : 3;
  const categories: Category[] = [];
  for (let k = 0; k < nCat; k++) {
    const c = CATEGORIES[skewed(r, CATEGORIES.length, 1.3)]!;
    if (!categories.some((x) => x.slug === c.slug)) categories.push(c);
  }
  const tags = Array.from({ length: Math.floor(r() * 4) }, () => pick(r, TAGS)).filter((t, k, all) => all.indexOf(t) === k);
  // Minute precision, as editors write dates; order follows `hour`, so the archive is in time order.
  const publishedMs = BASE_MS + hour * HOUR + Math.floor(r() * 50) * 60_000;
  const updatedMs = r() < 0.1 ? publishedMs + Math.floor(r() * 72) * HOUR : publishedMs;
  const image = r() < 0.35;
  const blocks = body(r, urdu);
  return {
    slug, title, urdu, authors, categories, tags, image, blocks,
    published: new Date(publishedMs).toISOString(), updated: new Date(updatedMs).toISOString(),
  };
}

const urlOf = (slug: string) => site.articleUrl.replace("{slug}", encodeURIComponent(slug));

function toArticle(s: Spec): Article {
  const contentHtml = toHtml(s.blocks);
  const firstP = s.blocks.find((b) => b.kind === "p")!;
  return {
    slug: s.slug,
    // As the parser makes it: the prefix and the percent-encoded slug, so `tag:bench.example,2026:<slug>`.
    id: new URL(`${ID_PREFIX}${encodeURIComponent(s.slug)}`).toString(),
    title: s.title,
    url: urlOf(s.slug),
    authors: s.authors,
    published: s.published,
    updated: s.updated,
    categories: s.categories,
    tags: s.tags,
    summary: truncateWords(firstP.spans.map((x) => x.text).join("").trim(), 280),
    contentHtml,
    draft: false,
    ...(s.image ? { image: { url: `https://bench.example/images/${encodeURIComponent(s.slug)}.jpg`, type: "image/jpeg", alt: s.title } } : {}),
    ...(s.urdu ? { lang: "ur" } : {}),
  };
}

/** Article `i` of every archive (published about `i` hours after 2015-01-01). */
export function article(i: number): Article {
  return toArticle(spec(i));
}

/**
 * The `k`-th article added by the incremental runs to an archive of `n` articles: the
 * same authors, categories and body whatever `n` (so every size publishes the same
 * kind of change), published after the archive's newest article.
 */
export function probeSpec(k: number, n: number): Spec {
  const s = spec(10_000_000 + k, n + 1 + k);
  return { ...s, slug: `probe-${k}-${s.slug}` };
}
export const probeArticle = (k: number, n: number): Article => toArticle(probeSpec(k, n));

const fmDate = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

/** The article as an editor writes it: front matter and Markdown. */
export function markdownOf(s: Spec, titleOverride?: string): string {
  const fm = [
    `title: ${JSON.stringify(titleOverride ?? s.title)}`,
    `author: ${s.authors.length === 1 ? s.authors[0] : `[${s.authors.join(", ")}]`}`,
    `date: ${fmDate(s.published)}`,
    ...(s.updated !== s.published ? [`updated: ${fmDate(s.updated)}`] : []),
    `categories: [${s.categories.map((c) => c.name).join(", ")}]`,
    ...(s.tags.length > 0 ? [`tags: [${s.tags.join(", ")}]`] : []),
    ...(s.image ? [`image: { url: /images/${s.slug}.jpg, alt: ${JSON.stringify(s.title)} }`] : []),
    ...(s.urdu ? ["lang: ur"] : []),
  ];
  return `---\n${fm.join("\n")}\n---\n${toMarkdown(s.blocks)}`;
}

export const articleSpec = (i: number): Spec => spec(i);
export type { Spec as ArticleSpec };
