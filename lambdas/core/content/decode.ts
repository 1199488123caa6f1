import { formatBytes, MAX_FILE_BYTES, MAX_KEY_BYTES, MAX_SITE_FILE_BYTES, MAX_SLUG_BYTES, utf8Bytes } from "../limits.js";
import type { Problem } from "../model.js";
import { classifyKey, fileStem } from "../../contracts/content-keys.js";
import { slugify } from "../slug.js";
import { problem, type Parsed } from "./problems.js";

/** The most bytes of `key` worth reading: one more than this and the file is rejected unread. */
export function maxBytesOf(key: string): number {
  return classifyKey(key) === "site" ? MAX_SITE_FILE_BYTES : MAX_FILE_BYTES;
}

/** The file-size rejection, checked on the size the source reports before the body is read. */
export function fileSizeProblem(file: string, size: number): Problem | undefined {
  const max = maxBytesOf(file);
  if (size <= max) return undefined;
  return problem(file, "file", `the file is ${formatBytes(size)}; the limit is ${formatBytes(max)}`,
    classifyKey(file) === "site" ? "keep only the settings in site.yaml" : "split it into several articles, and link large data or media instead of pasting it in");
}

/** The slug of an author or article file: its file name, NFC, lower-cased. */
export function slugOfKey(key: string): string {
  return slugify(fileStem(key));
}

/** The key and the slug it gives fit every place they are written to (S3 report keys, URLs, DynamoDB keys, file names). */
export function keyProblems(file: string): Problem[] {
  if (utf8Bytes(file) > MAX_KEY_BYTES) {
    return [problem(file, "file name", `the path is ${utf8Bytes(file)} bytes long; the limit is ${MAX_KEY_BYTES}`, "use shorter folder and file names")];
  }
  const slug = slugOfKey(file);
  if (!slug) return [problem(file, "file name", "the file name has no letters or digits", "rename the file, for example ev-charging-deal.md")];
  if (utf8Bytes(slug) > MAX_SLUG_BYTES) {
    return [problem(file, "file name", `the file name is ${utf8Bytes(slug)} bytes long; the limit is ${MAX_SLUG_BYTES} (it becomes part of URLs and keys)`, "use a shorter file name, a few words of the headline")];
  }
  return [];
}

/** UTF-8 only, with a BOM and CRLF line ends tolerated (Windows editors write both). */
export function decodeText(file: string, bytes: Uint8Array): Parsed<string> {
  if (bytes.length === 0) {
    return { ok: false, problems: [problem(file, "file", "the file is empty (0 bytes)", "write the article, or delete the file")] };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    return {
      ok: false,
      problems: [problem(file, "file", `the file is not valid UTF-8 (byte 0x${bytes[at]?.toString(16).padStart(2, "0")} at offset ${at})`, "save the file as UTF-8 in your editor")],
    };
  }
  text = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  return { ok: true, value: text, warnings: [] };
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  // A prefix that stops inside a valid sequence does not throw in stream mode, so the
  // failing prefixes are exactly those that reach the first bad byte: binary search.
  let lo = 0;
  let hi = bytes.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  // `lo` is where decoding failed; an unfinished multi-byte sequence just before it is the culprit.
  for (let j = lo - 1; j >= Math.max(0, lo - 3); j--) {
    const b = bytes[j] ?? 0;
    if (b >= 0xc0) return j;
    if (b < 0x80) break;
  }
  return lo;
}
