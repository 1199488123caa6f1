import MarkdownIt from "markdown-it";
import sanitizeHtml from "sanitize-html";

/**
 * Markdown to safe HTML: CommonMark with raw HTML allowed (editors paste embeds), then
 * an allowlist sanitiser that drops scripts, event handlers, styles and every URL
 * scheme but http, https and mailto. Relative URLs become absolute against `baseUrl`,
 * because feed readers show content far from the site it came from.
 */
const md = new MarkdownIt({ html: true, linkify: true, typographer: false });

const ALLOWED_TAGS = [
  ...sanitizeHtml.defaults.allowedTags,
  "img", "figure", "figcaption", "picture", "source", "h1", "h2", "del", "ins", "sup", "sub",
];

export function absoluteUrl(url: string, baseUrl: string): string | undefined {
  try {
    const u = new URL(url.trim(), baseUrl);
    if (u.protocol !== "http:" && u.protocol !== "https:" && u.protocol !== "mailto:") return undefined;
    return u.toString();
  } catch {
    return undefined;
  }
}

function absolutise(attr: string, baseUrl: string) {
  return (tagName: string, attribs: sanitizeHtml.Attributes) => {
    const value = attribs[attr];
    const next: sanitizeHtml.Attributes = { ...attribs };
    if (value !== undefined) {
      const abs = absoluteUrl(value, baseUrl);
      if (abs === undefined) delete next[attr];
      else next[attr] = abs;
    }
    if (tagName === "a" && next.href?.startsWith("http")) next.rel = "noopener";
    return { tagName, attribs: next };
  };
}

export function sanitize(html: string, baseUrl: string): string {
  return sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: {
      a: ["href", "title", "rel"],
      img: ["src", "alt", "title", "width", "height"],
      source: ["srcset", "type", "media"],
      td: ["colspan", "rowspan"],
      th: ["colspan", "rowspan", "scope"],
      "*": ["lang", "dir"],
    },
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesAppliedToAttributes: ["href", "src"],
    allowProtocolRelative: false,
    disallowedTagsMode: "discard",
    transformTags: { a: absolutise("href", baseUrl), img: absolutise("src", baseUrl) },
    // srcset needs a URL per candidate; drop it rather than half-rewrite it.
    exclusiveFilter: (frame) => frame.tag === "img" && !frame.attribs.src,
  }).trim();
}

export function renderMarkdown(markdown: string, baseUrl: string): string {
  return sanitize(md.render(markdown), baseUrl);
}
