import MarkdownIt from "markdown-it";
import sanitizeHtml from "sanitize-html";

/**
 * Markdown to safe HTML: CommonMark with raw HTML allowed (editors paste embeds), then
 * an allowlist sanitiser that drops scripts, event handlers, styles and every URL
 * scheme but http, https and mailto. Relative URLs become absolute against `baseUrl`,
 * because feed readers show content far from the site it came from.
 *
 * Rendering is bounded: the parser stops after `maxTokens` tokens (memory is spent per
 * token before any HTML exists) and the renderer as soon as its output passes
 * `maxHtmlChars`, so a small hostile file (a wide table, thousands of uses of one long
 * reference link) costs bounded time and memory instead of gigabytes.
 */

/** Thrown inside markdown-it when a render passes its budget; never escapes this module. */
class RenderLimit extends Error {
  constructor(readonly limit: "tokens" | "html") {
    super(`render limit: ${limit}`);
  }
}

interface Budget {
  tokens: number;
  readonly maxTokens: number;
}

/** The per-render budget, carried in markdown-it's `env` (it reaches every parser state). */
type BudgetEnv = { budget?: Budget };

function spend(env: BudgetEnv): void {
  const b = env.budget;
  if (b && ++b.tokens > b.maxTokens) throw new RenderLimit("tokens");
}

const md = new MarkdownIt({ html: true, linkify: true, typographer: false });

// Every token a block or inline rule creates goes through `push` (inline text through
// `pushPending`), so counting there stops a table or list mid-way, before the next token.
const BlockState = md.block.State;
md.block.State = class extends BlockState {
  override push(...args: Parameters<InstanceType<typeof BlockState>["push"]>) {
    spend(this.env as BudgetEnv);
    return super.push(...args);
  }
};
const InlineState = md.inline.State;
md.inline.State = class extends InlineState {
  override push(...args: Parameters<InstanceType<typeof InlineState>["push"]>) {
    spend(this.env as BudgetEnv);
    return super.push(...args);
  }
  override pushPending() {
    spend(this.env as BudgetEnv);
    return super.pushPending();
  }
};

type Token = ReturnType<typeof md.parse>[number];
type Env = Parameters<typeof md.parse>[1];

/** markdown-it's `render`/`renderInline` loop, stopping once the output passes `max` characters. */
function renderTokens(tokens: readonly Token[], env: Env, max: number): string {
  const r = md.renderer;
  let out = "";
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const rule = r.rules[t.type];
    if (t.type === "inline") out += renderTokens(t.children ?? [], env, max - out.length);
    else if (rule) out += rule(tokens as Token[], i, md.options, env, r);
    else out += r.renderToken(tokens as Token[], i, md.options);
    if (out.length > max) throw new RenderLimit("html");
  }
  return out;
}

const ALLOWED_TAGS = [
  ...sanitizeHtml.defaults.allowedTags,
  "img", "figure", "figcaption", "picture", "source", "h1", "h2", "del", "ins", "sup", "sub",
];

/** An absolute http(s) or mailto URL, or undefined for anything else (`javascript:`, `data:`, unparseable). */
export function absoluteUrl(url: string, baseUrl: string): string | undefined {
  try {
    const u = new URL(url.trim(), baseUrl);
    if (u.protocol !== "http:" && u.protocol !== "https:" && u.protocol !== "mailto:") return undefined;
    return u.toString();
  } catch {
    return undefined;
  }
}

/**
 * A `srcset` with every candidate URL made absolute, or undefined when one of them is
 * not a usable URL. Parsed as the HTML standard does: a URL is a run of non-spaces
 * (trailing commas end the candidate), then descriptors up to the next comma.
 */
export function absoluteSrcset(srcset: string, baseUrl: string): string | undefined {
  const out: string[] = [];
  let i = 0;
  const s = srcset;
  while (i < s.length) {
    while (i < s.length && (s[i] === "," || /\s/.test(s[i]!))) i++;
    if (i >= s.length) break;
    let j = i;
    while (j < s.length && !/\s/.test(s[j]!)) j++;
    let url = s.slice(i, j);
    let descriptors = "";
    if (url.endsWith(",")) {
      url = url.replace(/,+$/, "");
    } else {
      const comma = s.indexOf(",", j);
      const end = comma < 0 ? s.length : comma;
      descriptors = s.slice(j, end).trim();
      j = end;
    }
    i = j;
    const abs = absoluteUrl(url, baseUrl);
    if (abs === undefined || abs.startsWith("mailto:")) return undefined;
    out.push(descriptors ? `${abs} ${descriptors}` : abs);
  }
  return out.length > 0 ? out.join(", ") : undefined;
}

function absolutise(attr: string, baseUrl: string) {
  return (tagName: string, attribs: sanitizeHtml.Attributes) => {
    const next: sanitizeHtml.Attributes = { ...attribs };
    const value = attribs[attr];
    if (value !== undefined) {
      const abs = absoluteUrl(value, baseUrl);
      if (abs === undefined) delete next[attr];
      else next[attr] = abs;
    }
    // Like `src` and `href`: a relative candidate would point into the reader's own site.
    if (next.srcset !== undefined) {
      const abs = absoluteSrcset(next.srcset, baseUrl);
      if (abs === undefined) delete next.srcset;
      else next.srcset = abs;
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
    // No `style` attribute is allowed; never parse one (the Lambda bundles leave postcss out).
    parseStyleAttributes: false,
    transformTags: { a: absolutise("href", baseUrl), img: absolutise("src", baseUrl), source: absolutise("src", baseUrl) },
    exclusiveFilter: (frame) => frame.tag === "img" && !frame.attribs.src,
  }).trim();
}

export type Rendered =
  | { readonly ok: true; readonly html: string }
  /** `tokens`: the Markdown has more structure than `maxTokens`; `html`: the HTML passed `maxHtmlChars`. */
  | { readonly ok: false; readonly limit: "tokens" | "html" };

export interface RenderLimits {
  readonly maxTokens: number;
  /** Characters of unsanitised HTML; sanitising then only removes or makes URLs absolute. */
  readonly maxHtmlChars: number;
}

/** Markdown to sanitised HTML within `limits`, or which limit stopped it. */
export function renderMarkdown(markdown: string, baseUrl: string, limits: RenderLimits): Rendered {
  const env: BudgetEnv = { budget: { tokens: 0, maxTokens: limits.maxTokens } };
  try {
    const tokens = md.parse(markdown, env);
    const html = renderTokens(tokens, env, limits.maxHtmlChars);
    return { ok: true, html: sanitize(html, baseUrl) };
  } catch (err) {
    if (err instanceof RenderLimit) return { ok: false, limit: err.limit };
    throw err;
  }
}
