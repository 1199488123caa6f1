import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { SaxesParser } from "saxes";

/**
 * Independent judges of our output: none of them is the library that wrote it.
 * - saxes: a strict, namespace-aware XML 1.0 parser (npm), always available;
 * - xmllint (Debian libxml2-utils) and Python feedparser (Debian python3-feedparser),
 *   used when installed (.ci/run installs them);
 * - Ajv with the JSON Feed 1.1 schema written from the spec.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** Parses strictly (throws on any well-formedness or namespace error) into a small tree. */
export function parseXmlStrict(xml: string): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  let error: Error | undefined;
  parser.on("error", (e) => { error ??= e; });
  parser.on("opentag", (tag) => {
    const el: XmlElement = { name: tag.name, attributes: {}, children: [], text: "" };
    for (const [k, v] of Object.entries(tag.attributes)) el.attributes[k] = typeof v === "string" ? v : v.value;
    stack.at(-1)!.children.push(el);
    stack.push(el);
  });
  parser.on("text", (t) => { stack.at(-1)!.text += t; });
  parser.on("cdata", (t) => { stack.at(-1)!.text += t; });
  parser.on("closetag", () => { stack.pop(); });
  parser.write(xml).close();
  if (error) throw error;
  return root.children[0]!;
}

export function children(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

export function child(el: XmlElement, name: string): XmlElement {
  const c = el.children.find((x) => x.name === name);
  if (!c) throw new Error(`<${el.name}> has no <${name}>`);
  return c;
}

export const hasXmllint = spawnSync("xmllint", ["--version"]).status === 0;
export const PYTHON = "/usr/bin/python3";
export const hasFeedparser = existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import feedparser"]).status === 0;

/** xmllint --noout: throws with its message on any error. */
export function xmllint(path: string): void {
  execFileSync("xmllint", ["--noout", "--nonet", path], { stdio: "pipe" });
}

export interface FeedparserResult {
  bozo: boolean;
  bozo_exception: string;
  version: string;
  title: string;
  language: string | null;
  entries: { id: string; title: string; link: string; author: string | null; published: string | null; updated: string | null; content: string; tags: string[]; language: string | null }[];
}

/** Python feedparser's view of one feed file. */
export function feedparser(path: string): FeedparserResult {
  const script = `
import feedparser, json, sys
d = feedparser.parse(sys.argv[1])
print(json.dumps({
  "bozo": bool(d.bozo), "bozo_exception": str(d.get("bozo_exception", "")), "version": d.version,
  "title": d.feed.get("title", ""), "language": d.feed.get("language"),
  "entries": [{"id": e.get("id"), "title": e.get("title"), "link": e.get("link"), "author": e.get("author"),
               "published": e.get("published"), "updated": e.get("updated"),
               "content": (e.get("content") or [{"value": ""}])[0]["value"],
               "tags": [t.get("term") for t in e.get("tags", [])],
               "language": ((e.get("content") or [{}])[0].get("language"))} for e in d.entries]}))
`;
  return JSON.parse(execFileSync(PYTHON, ["-c", script, path], { encoding: "utf8" })) as FeedparserResult;
}

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
addFormats.default(ajv);
const schema = JSON.parse(readFileSync(new URL("./jsonfeed-1.1.schema.json", import.meta.url), "utf8")) as object;
const validate = ajv.compile(schema);

/** Throws listing every schema violation. */
export function assertJsonFeed11(text: string): Record<string, unknown> {
  const doc = JSON.parse(text) as Record<string, unknown>;
  if (!validate(doc)) throw new Error(`JSON Feed 1.1 schema: ${ajv.errorsText(validate.errors, { separator: "\n" })}`);
  return doc;
}
