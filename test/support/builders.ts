import type { Article, Author, FeedEntry, Site } from "../../lambdas/core/model.js";

/** Fixture builders: a valid default, overridden field by field. */

export function aSite(overrides: Partial<Site> = {}): Site {
  return {
    title: "Test News",
    baseUrl: "https://feeds.example.com",
    articleUrl: "https://news.example.com/{slug}/",
    language: "en",
    timeZone: "Asia/Karachi",
    description: "News for tests",
    itemsPerFeed: 50,
    archivePageSize: 100,
    hubs: ["https://hub.example.com/"],
    idPrefix: "tag:example.com,2026:",
    ...overrides,
  };
}

export function anAuthor(overrides: Partial<Author> = {}): Author {
  return { slug: "jane-doe", name: "Jane Doe", url: "https://example.com/jane/", bioHtml: "<p>Jane writes.</p>", ...overrides };
}

let n = 0;

export function anArticle(overrides: Partial<Article> = {}): Article {
  n++;
  const slug = overrides.slug ?? `article-${n}`;
  return {
    slug,
    id: `tag:example.com,2026:${slug}`,
    title: `Article ${n}`,
    url: `https://news.example.com/${slug}/`,
    authors: ["jane-doe"],
    published: "2024-05-01T10:00:00.000Z",
    updated: "2024-05-01T10:00:00.000Z",
    categories: [{ slug: "news", name: "News" }],
    tags: [],
    summary: "A summary.",
    contentHtml: "<p>Body.</p>",
    draft: false,
    ...overrides,
  };
}

export function anEntry(overrides: Partial<Article> = {}): FeedEntry {
  const { draft: _d, ...entry } = anArticle(overrides);
  return entry;
}

export interface ArticleFileOptions {
  frontMatter?: Record<string, unknown> | string;
  body?: string;
}

/** The text of an article file; `frontMatter` as an object is written as simple YAML. */
export function articleText({ frontMatter, body = "Body text." }: ArticleFileOptions = {}): string {
  const fm = frontMatter ?? { title: "A title", author: "jane-doe", date: "2024-05-01 10:00", categories: ["News"] };
  const yaml = typeof fm === "string"
    ? fm
    : Object.entries(fm).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("\n");
  return `---\n${yaml}\n---\n${body}\n`;
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
