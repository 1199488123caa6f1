import type { SlugClaim } from "./ports.js";

/**
 * String order as DynamoDB and S3 keep keys: by UTF-8 bytes (JavaScript's `<` compares
 * UTF-16 code units, which differs for letters outside the BMP).
 */
export function compareUtf8(a: string, b: string): number {
  // UTF-8 byte order is code point order. UTF-16 code units are in that order too, except
  // that surrogates (D800-DFFF, letters above FFFF) come before E000-FFFF: at the first
  // unit that differs, move surrogates above the rest. A prefix comes first in both.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return utf8Rank(x) - utf8Rank(y);
  }
  return a.length - b.length;
}

/** A UTF-16 code unit's place in code point order (surrogates after E000-FFFF). */
const utf8Rank = (unit: number): number => (unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit);

/**
 * Who owns a contested slug: the smallest live key, in UTF-8 byte order (the order S3
 * lists keys in). A function of the keys alone, never of arrival order, and the same in
 * every store.
 */
export function byKey(a: SlugClaim, b: SlugClaim): number {
  return compareUtf8(a.key, b.key);
}
