import type { SlugClaim } from "./ports.js";

/**
 * String order as DynamoDB and S3 keep keys: by UTF-8 bytes (JavaScript's `<` compares
 * UTF-16 code units, which differs for letters outside the BMP).
 */
export function compareUtf8(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/**
 * Who owns a contested slug: the smallest live key, in UTF-8 byte order (the order S3
 * lists keys in). A function of the keys alone, never of arrival order, and the same in
 * every store.
 */
export function byKey(a: SlugClaim, b: SlugClaim): number {
  return compareUtf8(a.key, b.key);
}
