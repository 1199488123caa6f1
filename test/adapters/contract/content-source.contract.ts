import { describe, expect, it } from "vitest";
import type { ContentSource } from "../../../lambdas/core/ports.js";

/**
 * What every `ContentSource` must do: the bytes of a key exactly as stored, nothing for a
 * key that is not there, and keys as exact strings (an NFC and an NFD name are two files).
 */

export interface ContentSourceUnderTest {
  readonly source: ContentSource;
  /** Stores a file the way editors do (an upload, a save). */
  put(key: string, body: Uint8Array): Promise<void>;
  remove(key: string): Promise<void>;
}

const bytes = (text: string) => new TextEncoder().encode(text);

export function describeContentSource(name: string, make: () => Promise<ContentSourceUnderTest>): void {
  describe(`ContentSource contract: ${name}`, () => {
    it("a missing key: nothing to read, and it does not exist", async () => {
      const { source } = await make();
      expect(await source.read("articles/none.md")).toBeUndefined();
      expect(await source.exists("articles/none.md")).toBe(false);
    });

    it("reads back exactly the bytes stored (a BOM, CRLF, bytes that are not UTF-8), with an ordering stamp", async () => {
      const { source, put } = await make();
      const body = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes("---\r\ntitle: x\r\n---\r\n"), 0xff, 0xfe, 0x00]);
      await put("articles/2024/a.md", body);
      const read = await source.read("articles/2024/a.md");
      expect(Buffer.from(read!.body).equals(Buffer.from(body))).toBe(true);
      expect(typeof read?.seq).toBe("string");
      expect(read?.seq).not.toBe("");
      expect(await source.exists("articles/2024/a.md")).toBe(true);
    });

    it("a replaced file reads back its new bytes; a removed one is gone", async () => {
      const { source, put, remove } = await make();
      await put("authors/jane.md", bytes("one"));
      await put("authors/jane.md", bytes("two"));
      expect(new TextDecoder().decode((await source.read("authors/jane.md"))?.body)).toBe("two");
      await remove("authors/jane.md");
      expect(await source.read("authors/jane.md")).toBeUndefined();
      expect(await source.exists("authors/jane.md")).toBe(false);
    });

    it("keys are exact strings: spaces, +, % and Unicode; NFC and NFD names are two files", async () => {
      const { source, put } = await make();
      for (const key of ["articles/ev charging+✓%.md", "articles/آج کی خبر.md"]) {
        await put(key, bytes(key));
        expect(new TextDecoder().decode((await source.read(key))?.body)).toBe(key);
      }
      const nfc = "articles/café.md".normalize("NFC");
      await put(nfc, bytes("nfc"));
      expect(await source.read(nfc.normalize("NFD"))).toBeUndefined();
      expect(await source.exists(nfc.normalize("NFD"))).toBe(false);
      expect(await source.exists(nfc)).toBe(true);
    });

    it("lists every key under a prefix, exactly as stored, in any sub-folder; nothing outside it", async () => {
      const { source, put, remove } = await make();
      const keys = ["articles/2024/a.md", "articles/آج کی خبر.md", "articles/deep/er/b.md", "authors/jane.md", "site.yaml"];
      for (const k of keys) await put(k, bytes(k));
      await remove("articles/deep/er/b.md");
      const listed: string[] = [];
      for await (const k of source.list("articles/")) listed.push(k);
      expect(listed.sort()).toEqual(["articles/2024/a.md", "articles/آج کی خبر.md"]);
      const none: string[] = [];
      for await (const k of source.list("nothing/")) none.push(k);
      expect(none).toEqual([]);
    });
  });
}
