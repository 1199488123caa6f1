import { CreateBucketCommand, GetObjectCommand, NoSuchKey } from "@aws-sdk/client-s3";
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DirectorySite, UnsafeSitePathError } from "../../lambdas/adapters/directory-site.js";
import { MemorySite } from "../../lambdas/adapters/memory-site.js";
import { S3Site } from "../../lambdas/adapters/s3-site.js";
import { sha256 } from "../../lambdas/app/hash.js";
import { siteFile } from "../../lambdas/core/site-files.js";
import { startLocalServer, type LocalServer } from "../../local/local-server.js";
import { startS3, type LocalS3 } from "../support/emulators.js";
import { describeSiteWriter } from "./contract/site-writer.contract.js";

/** The SiteWriter contract against memory, S3 (s3rver) and a directory served by the local server. */

let s3: LocalS3;
let work: string;
const servers: LocalServer[] = [];
let n = 0;

beforeAll(async () => {
  [s3, work] = await Promise.all([startS3([]), mkdtemp(join(tmpdir(), "feedpub-site-writer-"))]);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await s3?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describeSiteWriter("MemorySite", async () => {
  const writer = new MemorySite();
  return {
    writer,
    readBack: async (path) => {
      // As a reader decodes a response: text as it is, bytes as UTF-8 (like fetch's text()).
      const f = writer.readFile(path);
      return f && { body: typeof f.body === "string" ? f.body : new TextDecoder().decode(f.body), contentType: f.contentType, cacheControl: f.cacheControl };
    },
    readBackBytes: async (path) => writer.readBytes(path),
  };
});

describeSiteWriter("S3Site on s3rver", async () => {
  const bucket = `site-${++n}`;
  await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    writer: new S3Site(s3.client, bucket),
    readBack: async (path) => {
      try {
        const r = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: path }));
        return { body: await r.Body!.transformToString(), contentType: r.ContentType ?? "", cacheControl: r.CacheControl ?? "" };
      } catch (err) {
        if (err instanceof NoSuchKey) return undefined;
        throw err;
      }
    },
    readBackBytes: async (path) => {
      try {
        const r = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: path }));
        return await r.Body!.transformToByteArray();
      } catch (err) {
        if (err instanceof NoSuchKey) return undefined;
        throw err;
      }
    },
  };
});

describeSiteWriter("DirectorySite, read through the local server", async () => {
  const root = join(work, `dist-${++n}`);
  const server = await startLocalServer(root, 0);
  const url = server.url;
  servers.push(server);
  return {
    writer: new DirectorySite(root),
    readBack: async (path) => {
      const res = await fetch(`${url}/${path.split("/").map(encodeURIComponent).join("/")}`);
      if (res.status === 404) return undefined;
      return { body: await res.text(), contentType: res.headers.get("content-type") ?? "", cacheControl: res.headers.get("cache-control") ?? "" };
    },
    readBackBytes: async (path) => {
      const res = await fetch(`${url}/${path.split("/").map(encodeURIComponent).join("/")}`);
      return res.status === 404 ? undefined : new Uint8Array(await res.arrayBuffer());
    },
  };
});

describe("DirectorySite never writes outside its folder", () => {
  async function setup() {
    const base = join(work, `escape-${++n}`);
    const root = join(base, "dist");
    const outside = join(base, "outside");
    await mkdir(root, { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, "victim.xml"), "precious");
    return { root, outside, site: new DirectorySite(root) };
  }
  const file = (path: string) => siteFile(path, `<rss>${path}</rss>`);

  it("a link to a folder outside, planted in the out dir: the write is refused and nothing lands outside", async () => {
    const { root, outside, site } = await setup();
    await symlink(outside, join(root, "categories"));
    await expect(site.write(file("categories/news/feed.xml"))).rejects.toBeInstanceOf(UnsafeSitePathError);
    await expect(site.write(file("categories/feed.xml"))).rejects.toThrow(/symbolic link/);
    expect((await readdir(outside)).sort()).toEqual(["victim.xml"]);
    expect(await site.hashes(["categories/feed.xml", "categories/victim.xml"])).toEqual(new Map());
  });

  it("a link to a file outside, planted where a feed goes: the link itself is replaced, its target untouched", async () => {
    const { root, outside, site } = await setup();
    await symlink(join(outside, "victim.xml"), join(root, "feed.xml"));
    // Not this site's file: reported absent, so publish rewrites it.
    expect(await site.hashes(["feed.xml"])).toEqual(new Map());
    await site.write(file("feed.xml"));
    expect(await readFile(join(outside, "victim.xml"), "utf8")).toBe("precious");
    expect((await lstat(join(root, "feed.xml"))).isSymbolicLink()).toBe(false);
    expect(await site.hashes(["feed.xml"])).toEqual(new Map([["feed.xml", sha256("<rss>feed.xml</rss>")]]));
  });

  it("a link in the header sidecar folder is refused too", async () => {
    const { root, outside, site } = await setup();
    await symlink(outside, join(root, ".headers"));
    await expect(site.write(file("feed.xml"))).rejects.toBeInstanceOf(UnsafeSitePathError);
    expect((await readdir(outside)).sort()).toEqual(["victim.xml"]);
  });

  it("paths that climb out, are absolute, or name the sidecar folder are refused", async () => {
    const { outside, site } = await setup();
    for (const path of ["../outside/victim.xml", "/etc/passwd", "a//b.xml", ".headers/feed.xml.headers", "archive/./x.xml"]) {
      await expect(site.write(file(path)), path).rejects.toBeInstanceOf(UnsafeSitePathError);
    }
    expect(await readFile(join(outside, "victim.xml"), "utf8")).toBe("precious");
  });

  it("the out dir may itself be reached through a link (a temp folder, say)", async () => {
    const { root } = await setup();
    const alias = `${root}-alias`;
    await symlink(root, alias);
    await new DirectorySite(alias).write(file("feed.xml"));
    expect(await readFile(join(root, "feed.xml"), "utf8")).toBe("<rss>feed.xml</rss>");
  });
});
