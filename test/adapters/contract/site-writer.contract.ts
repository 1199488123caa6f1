import { describe, expect, it } from "vitest";
import { sha256 } from "../../../lambdas/app/hash.js";
import type { SiteFile, SiteWriter } from "../../../lambdas/core/ports.js";
import { CACHE_ARCHIVE, CACHE_CURRENT, CACHE_IMMUTABLE, siteFile } from "../../../lambdas/core/site-files.js";

/**
 * What every `SiteWriter` must do: report the hash of what it holds, and serve each file
 * back with the bytes and the HTTP headers its `SiteFile` carried, so the local site
 * answers exactly as CloudFront in front of S3 does.
 */

export interface SiteWriterUnderTest {
  readonly writer: SiteWriter;
  /** The file as a reader gets it (through the server that serves this writer's files). */
  readBack(path: string): Promise<{ body: string; contentType: string; cacheControl: string } | undefined>;
  /** The same, as bytes: static assets (the font) are not text. */
  readBackBytes(path: string): Promise<Uint8Array | undefined>;
}

const write = (writer: SiteWriter, file: SiteFile) => writer.write(file, sha256(file.body));

export function describeSiteWriter(name: string, make: () => Promise<SiteWriterUnderTest>): void {
  describe(`SiteWriter contract: ${name}`, () => {
    it("hashes of paths never written are absent from the map", async () => {
      const { writer } = await make();
      expect(await writer.hashes([])).toEqual(new Map());
      expect(await writer.hashes(["feed.xml", "categories/news/atom.xml"])).toEqual(new Map());
      await write(writer, siteFile("feed.xml", "<rss/>"));
      expect(await writer.hashes(["feed.xml", "atom.xml", "categories/feed.xml"])).toEqual(new Map([["feed.xml", sha256("<rss/>")]]));
    });

    it("write then hash round-trips; an overwrite changes the hash; bytes read back exactly", async () => {
      const { writer, readBack } = await make();
      const first = siteFile("categories/اردو/feed.json", JSON.stringify({ title: "آج کی خبریں — ✓" }));
      await write(writer, first);
      expect((await writer.hashes([first.path])).get(first.path)).toBe(sha256(first.body));
      expect((await readBack(first.path))?.body).toBe(first.body);
      const second = siteFile(first.path, JSON.stringify({ title: "edited" }));
      await write(writer, second);
      expect((await writer.hashes([first.path])).get(first.path)).toBe(sha256(second.body));
      expect((await readBack(first.path))?.body).toBe(second.body);
    });

    it("hashes of many paths at once (more than one round of concurrent requests)", async () => {
      const { writer } = await make();
      const files = Array.from({ length: 40 }, (_, i) => siteFile(`archive/2024-01-${String(i + 1).padStart(2, "0")}/feed.xml`, `<rss>${i}</rss>`));
      await Promise.all(files.map((f) => write(writer, f)));
      const hashes = await writer.hashes([...files.map((f) => f.path), "archive/1999-01-01/feed.xml"]);
      expect(hashes.size).toBe(40);
      for (const f of files) expect(hashes.get(f.path)).toBe(sha256(f.body));
    });

    it("Content-Type and Cache-Control read back as the SiteFile carried them, for every kind of file", async () => {
      const { writer, readBack } = await make();
      const files = [
        siteFile("feed.xml", "<rss/>"),
        siteFile("atom.xml", "<feed/>"),
        siteFile("feed.json", "{}"),
        siteFile("index.html", "<!doctype html>"),
        siteFile("feeds.opml", "<opml/>"),
        siteFile("categories/news/archive/2024-01-02/atom.xml", "<feed/>"),
        siteFile("archive/2024-01-03/feed.json", "{}"),
      ];
      for (const f of files) await write(writer, f);
      for (const f of files) {
        expect(await readBack(f.path), f.path).toEqual({ body: f.body, contentType: f.contentType, cacheControl: f.cacheControl });
      }
      expect((await readBack("archive/2024-01-03/feed.json"))?.cacheControl).toBe(CACHE_ARCHIVE);
      expect((await readBack("feed.json"))?.cacheControl).toBe(CACHE_CURRENT);
    });

    it("a static asset's bytes (not valid UTF-8) round-trip exactly, as font/woff2 cached for a year", async () => {
      const { writer, readBack, readBackBytes } = await make();
      // wOF2 magic, then bytes that a text round-trip would mangle (NUL, lone 0xFF, a bad UTF-8 pair).
      const bytes = new Uint8Array([0x77, 0x4f, 0x46, 0x32, 0x00, 0xff, 0xfe, 0xc3, 0x28, 0x80, ...Array.from({ length: 2000 }, (_, i) => (i * 37) % 256)]);
      const font = siteFile("fonts/test-1.0.0-arabic-400.woff2", bytes);
      await write(writer, font);
      expect((await writer.hashes([font.path])).get(font.path)).toBe(sha256(bytes));
      expect(Buffer.from((await readBackBytes(font.path))!).equals(Buffer.from(bytes))).toBe(true);
      expect(await readBack(font.path)).toMatchObject({ contentType: "font/woff2", cacheControl: CACHE_IMMUTABLE });
    });

    it("a rewrite with other headers serves the new headers", async () => {
      const { writer, readBack } = await make();
      const path = "archive/2024-01-05/feed.xml";
      await write(writer, { ...siteFile(path, "<rss>first</rss>"), cacheControl: CACHE_CURRENT });
      expect((await readBack(path))?.cacheControl).toBe(CACHE_CURRENT);
      await write(writer, siteFile(path, "<rss>again</rss>"));
      expect(await readBack(path)).toEqual({ body: "<rss>again</rss>", contentType: "application/rss+xml; charset=utf-8", cacheControl: CACHE_ARCHIVE });
    });

    it("remove: the file is gone (its hash absent, nothing served); removing a missing file is no error", async () => {
      const { writer, readBack } = await make();
      await write(writer, siteFile("archive/2024-01-06/feed.xml", "<rss/>"));
      await writer.remove("archive/2024-01-06/feed.xml");
      await writer.remove("archive/1999-01-01/feed.xml");
      expect(await writer.hashes(["archive/2024-01-06/feed.xml"])).toEqual(new Map());
      expect(await readBack("archive/2024-01-06/feed.xml")).toBeUndefined();
    });
  });
}
