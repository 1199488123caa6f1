import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY, publicResponseHeaders } from "../../lambdas/contracts/http-headers.js";
import { renderIndexHtml } from "../../lambdas/core/pages.js";
import { PortInUseError, startLocalServer, type LocalServer } from "../../local/local-server.js";
import { aSite, anAuthor, anEntry } from "../support/builders.js";

/** The local server on its own: encodings, both loopback families, the port hint, CORS, symlinks, headers. */

let work: string;
let root: string;
let server: LocalServer;
const FEED = `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>${"<item><title>Ein Titel</title></item>".repeat(100)}</channel></rss>\n`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "feedpub-server-"));
  root = join(work, "dist");
  await mkdir(join(root, "categories/news"), { recursive: true });
  await mkdir(join(work, "private"), { recursive: true });
  await writeFile(join(root, "feed.xml"), FEED);
  await writeFile(join(root, "categories/news/feed.xml"), FEED);
  await writeFile(join(root, "index.html"), renderIndexHtml({ site: aSite(), latest: [anEntry()], feeds: [{ kind: "site", slug: "", title: "" }], authors: new Map([["jane-doe", anAuthor()]]) }));
  await writeFile(join(work, "private/secret.xml"), "<secret/>");
  // Planted links out of the site folder: a file and a folder.
  await symlink(join(work, "private/secret.xml"), join(root, "leak.xml"));
  await symlink(join(work, "private"), join(root, "categories/leaky"));
  // A link that stays inside is fine.
  await symlink(join(root, "feed.xml"), join(root, "alias.xml"));
  server = await startLocalServer(root, 0);
});
afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

/** node:http, not fetch: fetch decodes bodies and adds headers of its own. */
function get(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c)).on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on("error", reject).end();
  });
}

describe("local server", () => {
  it("compresses with brotli or gzip when the client accepts it, and not otherwise", async () => {
    const br = await get(`${server.url}/feed.xml`, { "Accept-Encoding": "gzip, deflate, br" });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(br.body).toString()).toBe(FEED);
    expect(br.body.length).toBeLessThan(FEED.length / 5);
    const gz = await get(`${server.url}/feed.xml`, { "Accept-Encoding": "gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body).toString()).toBe(FEED);
    expect(gz.headers.vary).toBe("Accept-Encoding");
    const plain = await get(`${server.url}/feed.xml`, { "Accept-Encoding": "identity, gzip;q=0" });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.toString()).toBe(FEED);
    // The validators hold across encodings.
    expect(gz.headers.etag).toBe(plain.headers.etag);
    expect((await get(`${server.url}/feed.xml`, { "Accept-Encoding": "gzip", "If-None-Match": plain.headers.etag! })).status).toBe(304);
  });

  it("listens on IPv4 and IPv6 loopback on one port, so localhost works whichever it resolves to", async () => {
    for (const host of ["127.0.0.1", "[::1]", "localhost"]) {
      expect((await get(`http://${host}:${server.port}/feed.xml`)).status, host).toBe(200);
    }
  });

  it("a port in use is named with a port that is actually free", async () => {
    const err = await startLocalServer(root, server.port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortInUseError);
    const { freePort, message } = err as PortInUseError;
    expect(freePort).toBeGreaterThan(server.port);
    expect(message).toBe(`port ${server.port} is in use: stop the other server or use a free one, e.g. PORT=${freePort} npm start`);
    const second = await startLocalServer(root, freePort!);
    await second.close();
  });

  it("answers CORS preflights and lets any origin read files and their validators", async () => {
    const pre = await get(`${server.url}/feed.xml`, { Origin: "https://reader.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "if-none-match" }, "OPTIONS");
    expect(pre.status).toBe(204);
    expect(pre.headers["access-control-allow-origin"]).toBe("*");
    expect(pre.headers["access-control-allow-methods"]).toBe("GET, HEAD");
    expect(pre.headers["access-control-allow-headers"]).toBe("*");
    for (const method of ["GET", "HEAD"]) {
      const res = await get(`${server.url}/feed.xml`, { Origin: "https://reader.example" }, method);
      expect(res.status).toBe(200);
      expect(res.headers["access-control-allow-origin"]).toBe("*");
      expect(res.headers["access-control-expose-headers"]).toBe("ETag, Last-Modified");
    }
    expect((await get(`${server.url}/feed.xml`, {}, "POST")).status).toBe(405);
  });

  it("never serves through a symlink that leads out of the site folder", async () => {
    expect((await get(`${server.url}/leak.xml`)).status).toBe(404);
    expect((await get(`${server.url}/categories/leaky/secret.xml`)).status).toBe(404);
    expect((await get(`${server.url}/alias.xml`)).status).toBe(200);
    expect((await get(`${server.url}/..%2Fprivate/secret.xml`)).status).toBe(404);
  });

  it("sends the security headers and a Content-Security-Policy that allows exactly index.html's inline style", async () => {
    const res = await get(`${server.url}/`);
    expect(res.status).toBe(200);
    for (const [name, value] of Object.entries(publicResponseHeaders())) expect(res.headers[name.toLowerCase()], name).toBe(value);
    const css = /<style>([\s\S]*?)<\/style>/.exec(res.body.toString())![1]!;
    const hash = `'sha256-${createHash("sha256").update(css).digest("base64")}'`;
    expect(CONTENT_SECURITY_POLICY).toContain(`style-src ${hash}`);
    expect(res.headers["content-security-policy"]).toMatch(/^default-src 'none'; /);
  });
});
