import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DirectoryContent } from "../../lambdas/adapters/directory-content.js";
import { S3Content } from "../../lambdas/adapters/s3-content.js";

/** `ContentSource.read(key, maxBytes)`: an oversized file is never read whole. */

describe("DirectoryContent.read with maxBytes", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(os.tmpdir(), "feedpub-dir-content-"));
    await writeFile(join(dir, "small.md"), "hello");
    await writeFile(join(dir, "big.md"), "x");
    await truncate(join(dir, "big.md"), 50_000_000); // sparse: nothing is held in memory
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it("reads at most maxBytes and reports the full size", async () => {
    const r = await new DirectoryContent(dir).read("big.md", 1000);
    expect(r?.body.length).toBe(1000);
    expect(r?.size).toBe(50_000_000);
  });

  it("reads a small file whole; a missing one is undefined", async () => {
    const r = await new DirectoryContent(dir).read("small.md", 1000);
    expect(new TextDecoder().decode(r?.body)).toBe("hello");
    expect(r?.size).toBe(5);
    expect(await new DirectoryContent(dir).read("nope.md", 1000)).toBeUndefined();
  });
});

describe("S3Content.read with maxBytes", () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());

  /** A body that fails the test if more than `allowed` bytes are pulled from it. */
  function body(total: number, allowed: number) {
    let pulled = 0;
    const stream = new Readable({
      read() {
        if (pulled >= total) { this.push(null); return; }
        const n = Math.min(64 * 1024, total - pulled);
        pulled += n;
        if (pulled > allowed + 64 * 1024) this.destroy(new Error(`read ${pulled} bytes of an oversized object`));
        else this.push(new Uint8Array(n).fill(120));
      },
    });
    return { stream, pulled: () => pulled };
  }

  it("an object too large by Content-Length is closed unread", async () => {
    const b = body(100_000_000, 0);
    s3.on(GetObjectCommand).resolves({ Body: b.stream, ContentLength: 100_000_000, LastModified: new Date(0) } as never);
    const r = await new S3Content(new S3Client({}), "content").read("articles/huge.md", 500_000);
    expect(r).toMatchObject({ size: 100_000_000 });
    expect(r?.body.length).toBe(0);
    expect(b.pulled()).toBe(0);
  });

  it("an object of unknown length is read to one byte past the limit, then closed", async () => {
    const b = body(100_000_000, 500_001);
    s3.on(GetObjectCommand).resolves({ Body: b.stream, LastModified: new Date(0) } as never);
    const r = await new S3Content(new S3Client({}), "content").read("articles/huge.md", 500_000);
    expect(r?.body.length).toBe(500_000);
    expect(r?.size).toBeGreaterThan(500_000);
    expect(b.pulled()).toBeLessThan(700_000);
  });

  it("an object within the limit is read whole", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(1000, 1000).stream, ContentLength: 1000, LastModified: new Date(0) } as never);
    const r = await new S3Content(new S3Client({}), "content").read("articles/ok.md", 500_000);
    expect(r?.body.length).toBe(1000);
    expect(r?.size).toBe(1000);
  });
});
