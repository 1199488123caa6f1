import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import type * as z from "zod/mini";
import { formatBytes, MAX_FRONT_MATTER_BYTES, MAX_PROBLEMS, MAX_YAML_KEYS, utf8Bytes } from "../limits.js";
import type { Problem } from "../model.js";
import { decodeText } from "./decode.js";
import { problem, quote, rejected, zodProblems, type Parsed } from "./problems.js";

/**
 * The one front-matter pipeline every kind of content file goes through:
 * bytes → UTF-8 text → (`---` front matter + body) → bounded YAML → schema.
 * `site.yaml` is all front matter and has no body.
 */

const YAML_FIX = "fix the YAML between the --- lines; quote text that contains a colon, # or a leading special character";

/** Splits `---\n yaml \n---\n body`. */
export function splitFrontMatter(file: string, text: string): Parsed<{ yaml: string; body: string; bodyLine: number }> {
  if (!text.startsWith("---\n")) {
    return { ok: false, problems: [problem(file, "front matter", "the file does not start with a --- line", "start the file with ---, the fields (title:, author:, date: ...), then another --- line")] };
  }
  const end = text.indexOf("\n---", 3);
  const after = end < 0 ? -1 : text.indexOf("\n", end + 4);
  if (end < 0 || (after !== -1 && text.slice(end + 4, after).trim() !== "")) {
    return { ok: false, problems: [problem(file, "front matter", "the front matter has no closing --- line", "add a line with only --- after the last field")] };
  }
  const yaml = text.slice(4, end + 1);
  const body = after < 0 ? "" : text.slice(after + 1);
  const bodyLine = yaml.split("\n").length + 2;
  return { ok: true, value: { yaml, body, bodyLine }, warnings: [] };
}

/**
 * A safe YAML subset: the core schema, no custom tags, few aliases, at most
 * `MAX_FRONT_MATTER_BYTES` and `MAX_YAML_KEYS` keys per mapping. Duplicate keys are
 * found here with a set, in linear time: the `yaml` package's own `uniqueKeys` check
 * compares every key with every other (40,000 keys took 31 s).
 */
export function parseYaml(file: string, source: string, lineOffset: number): Parsed<Record<string, unknown>> {
  const size = utf8Bytes(source);
  if (size > MAX_FRONT_MATTER_BYTES) {
    return rejected([problem(file, "front matter", `the front matter is ${formatBytes(size)}; the limit is ${formatBytes(MAX_FRONT_MATTER_BYTES)}`, "keep only the fields (title, author, date, ...) between the --- lines; the text goes below them")]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(source, { schema: "core", uniqueKeys: false, prettyErrors: true, strict: true, lineCounter: lines });
  const lineOf = (offset: number | undefined) => (offset === undefined ? lineOffset : lines.linePos(offset).line + lineOffset);
  const bad = [...doc.errors, ...doc.warnings];
  if (bad.length > 0) {
    const e = bad[0]!;
    const line = (e.linePos?.[0]?.line ?? 0) + lineOffset;
    const what = e.code === "TAG_RESOLVE_FAILED" ? "a YAML tag (!! or !) that is not allowed"
      // The parser's own stack ran out: say what the editor can change.
      : /call stack/i.test(e.message) ? "lists or mappings nested too deeply"
      : e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "").slice(0, 200);
    return rejected([problem(file, "front matter", `YAML error near line ${line}: ${what}`, YAML_FIX)]);
  }
  const shapeProblems = checkKeys(file, doc.contents, lineOf);
  if (shapeProblems.length > 0) return rejected(shapeProblems);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 20 });
  } catch (err) {
    return rejected([problem(file, "front matter", `YAML could not be read: ${(err as Error).message.slice(0, 200)}`, "remove YAML aliases (*name) and anchors (&name)")]);
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== "object" || Array.isArray(data)) {
    return rejected([problem(file, "front matter", "the front matter is not a set of `key: value` lines", "write one `key: value` per line between the --- lines")]);
  }
  return { ok: true, value: data as Record<string, unknown>, warnings: [] };
}

/** Plain-text keys, each once, at most `MAX_YAML_KEYS` per mapping; iterative, so deep nesting cannot overflow the stack. */
function checkKeys(file: string, root: unknown, lineOf: (offset: number | undefined) => number): Problem[] {
  const out: Problem[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0 && out.length < MAX_PROBLEMS) {
    const node = stack.pop();
    if (isAlias(node)) continue;
    if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isMap(node)) {
      if (node.items.length > MAX_YAML_KEYS) {
        out.push(problem(file, "front matter", `YAML error near line ${lineOf((node as YamlNode).range?.[0])}: ${node.items.length} keys in one mapping; the limit is ${MAX_YAML_KEYS}`, YAML_FIX));
        continue;
      }
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        if (!isScalar(key)) {
          out.push(problem(file, "front matter", `YAML error near line ${lineOf((key as YamlNode | null)?.range?.[0])}: a key that is not plain text`, YAML_FIX));
          continue;
        }
        const name = String(key.value);
        if (seen.has(name)) out.push(problem(file, "front matter", `YAML error near line ${lineOf(key.range?.[0])}: the key ${quote(name, 40)} appears twice`, "keep one of the two lines"));
        seen.add(name);
        stack.push(pair.value);
      }
    }
  }
  return out;
}

export interface FrontMatter<T> {
  readonly data: T;
  /** The text after the closing `---` ("" for site.yaml). */
  readonly body: string;
  /** The raw mapping, to tell a missing field from a wrong one. */
  readonly raw: Record<string, unknown>;
}

/**
 * The pipeline: decode, split (unless the file is all YAML), parse within limits,
 * validate with `schema`. Every failure is a rejection with at most `MAX_PROBLEMS` lines.
 */
export function readFrontMatter<S extends z.ZodMiniType>(
  file: string, bytes: Uint8Array, schema: S, fixes: Record<string, string>, options: { wholeFileIsYaml?: boolean } = {},
): Parsed<FrontMatter<z.output<S>>> {
  const decoded = decodeText(file, bytes);
  if (!decoded.ok) return decoded;
  let yamlText = decoded.value;
  let body = "";
  if (!options.wholeFileIsYaml) {
    const parts = splitFrontMatter(file, decoded.value);
    if (!parts.ok) return parts;
    yamlText = parts.value.yaml;
    body = parts.value.body;
  }
  const yaml = parseYaml(file, yamlText, options.wholeFileIsYaml ? 0 : 1);
  if (!yaml.ok) return yaml;
  const r = z_safeParse(schema, yaml.value);
  if (!r.success) return rejected(zodProblems(file, r.error, fixes, yaml.value));
  return { ok: true, value: { data: r.data, body, raw: yaml.value }, warnings: [] };
}

function z_safeParse<S extends z.ZodMiniType>(schema: S, data: unknown): { success: true; data: z.output<S> } | { success: false; error: z.core.$ZodError } {
  const r = schema.safeParse(data);
  return r.success ? { success: true, data: r.data as z.output<S> } : { success: false, error: r.error };
}
