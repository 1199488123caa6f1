import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import serveStatic from "serve-static";
import { readFileHeaders } from "../lambdas/adapters/directory-site.js";

/**
 * Serves `dist/` the way CloudFront serves the site bucket: the same paths, the same
 * Content-Type and Cache-Control as the S3 objects, plus ETag, Last-Modified and
 * `304 Not Modified` for conditional requests (serve-static).
 */
export async function startLocalServer(root: string, port: number, host = "127.0.0.1"): Promise<{ server: Server; url: string }> {
  const files = serveStatic(root, {
    index: ["index.html"],
    etag: true,
    lastModified: true,
    dotfiles: "ignore",
    fallthrough: true,
    setHeaders: (res, path) => {
      // As stored by DirectorySite with each file, the same values S3 holds as object metadata.
      const headers = readFileHeaders(root, path);
      res.setHeader("Content-Type", headers.contentType);
      res.setHeader("Cache-Control", headers.cacheControl);
      res.setHeader("X-Content-Type-Options", "nosniff");
      res.setHeader("Access-Control-Allow-Origin", "*");
    },
  });
  const server = createServer((req, res) => {
    files(req, res, () => {
      res.statusCode = req.method === "GET" || req.method === "HEAD" ? 404 : 405;
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end(res.statusCode === 404 ? "Not found. The feeds are listed at /index.html\n" : "Method not allowed\n");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return { server, url: `http://localhost:${actual}` };
}
