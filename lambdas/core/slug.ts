import { MAX_CATEGORY_SLUG_BYTES, utf8Bytes } from "./limits.js";

/**
 * Every slug rule in one place. A slug names a URL segment, a DynamoDB key and an
 * output folder, so it must be stable, URL-safe and short; for categories it must also
 * be distinct for distinct names, whatever order articles arrive in.
 */

/**
 * A URL-safe, stable slug: NFC, lower case, runs of anything but letters and digits
 * become one hyphen. Letters of every script are kept, so Urdu names stay Urdu.
 */
export function slugify(text: string): string {
  return text
    .normalize("NFC")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "");
}

/** Words of letters and digits separated by single spaces: the names whose plain slug loses only case. */
const PLAIN_NAME = /^[\p{L}\p{M}\p{N}]+(?: [\p{L}\p{M}\p{N}]+)*$/u;

/** Folder names the output already uses, or that a file system reads as something else. */
const RESERVED_SLUGS = new Set(["archive", "categories", "authors", "con", "nul", "prn", "aux"]);

/** Symbols that carry the meaning of a name (`C++`, `C#`, `R&D`); spelled out so the slug stays readable. */
const SPELLED: Record<string, string> = { "+": " plus ", "#": " sharp ", "&": " and ", "@": " at ", "%": " percent " };

/**
 * The slug of a category name, a pure function of the name:
 * - a plain name (words separated by single spaces) gets its plain slug, as before:
 *   `Electric Cars` → `electric-cars`, `اردو` → `اردو`;
 * - any other name gets a readable part (`+` → `plus`, `#` → `sharp`, ...) and `--` plus
 *   a hash of the exact name: `C++` → `c-plus-plus--…`, `a-b` → `a-b--…`,
 *   `🚀 Launch` → `launch--…`, `..` → `category--…`. A plain slug never contains `--`, so the
 *   two kinds never meet;
 * - a reserved or over-long slug is cut and hashed the same way.
 * Names that differ only in letter case or Unicode normalisation are one category.
 */
export function categorySlug(name: string): string {
  const nfc = name.normalize("NFC").trim();
  const plain = slugify(nfc);
  if (PLAIN_NAME.test(nfc) && plain !== "" && !RESERVED_SLUGS.has(plain) && utf8Bytes(plain) <= MAX_CATEGORY_SLUG_BYTES) return plain;
  // The hash is of the lower-cased name, so `C#` and `c#` stay one category like `News` and `news`.
  const hash = stableHash(nfc.toLowerCase());
  const readable = slugify(nfc.replace(/[+#&@%]/g, (c) => SPELLED[c] ?? c));
  const head = cutToBytes(readable, MAX_CATEGORY_SLUG_BYTES - hash.length - 2).replace(/-+$/, "");
  return `${head || "category"}--${hash}`;
}

/** The longest prefix of `s` of at most `max` UTF-8 bytes, never splitting a character. */
export function cutToBytes(s: string, max: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    bytes += utf8Bytes(ch);
    if (bytes > max) break;
    end += ch.length;
  }
  return s.slice(0, end);
}

/**
 * 53 bits of a fast non-cryptographic hash (cyrb53), as 10 base-36 digits: stable across
 * runs and platforms, and pure (core imports no crypto). Collisions between the category
 * names of one site are negligible (about 1 in 10^15 per pair).
 */
export function stableHash(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const n = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return n.toString(36).padStart(11, "0").slice(-10);
}
