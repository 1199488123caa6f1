import type { SlugClaim } from "./ports.js";

/**
 * Who owns a contested slug: the smallest live key, by UTF-16 code units. A function of
 * the keys alone, never of arrival order, and the same in every store.
 */
export function byKey(a: SlugClaim, b: SlugClaim): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
