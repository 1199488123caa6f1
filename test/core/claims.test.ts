import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareUtf8 } from "../../lambdas/core/claims.js";

/** The key order of DynamoDB and S3 (UTF-8 bytes), computed on UTF-16 code units without encoding. */

function byBytes(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

describe("compareUtf8", () => {
  it("orders as the UTF-8 bytes do, letters above U+FFFF and U+E000-U+FFFF included", () => {
    const unit = fc.constantFrom("a", "b", "#", "2", "é", "\u07ff", "\u0800", "\ud7ff", "\ue000", "\uffff", "😀", "\u{10000}", "\u{10ffff}", "ب");
    fc.assert(fc.property(fc.string({ unit }), fc.string({ unit }), (a, b) => {
      expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(byBytes(a, b)));
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
      expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(byBytes(a, b)));
    }), { numRuns: 2000 });
    expect(compareUtf8("\uffff", "😀")).toBeLessThan(0);
    expect(compareUtf8("2024-06-01#a", "2024-06-01#a")).toBe(0);
  });
});
