import { createHash } from "node:crypto";
import { readFile, realpath, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve, sep } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants as zlibConstants, gzip } from "node:zlib";
import { INDEX_PAGE } from "../lambdas/contracts/paths.js";
import { preflightResponseHeaders, publicResponseHeaders } from "../lambdas/contracts/http-headers.js";
import { readFileHeaders } from "../lambdas/adapters/directory-site.js";

/**
 * Serves `dist/` the way CloudFront serves the site bucket: the same paths, the same
 * Content-Type and Cache-Control as the S3 objects, the same security, CSP and CORS
 * headers (`contracts/http-headers.ts`), compression when the client accepts it, plus
 * ETag, Last-Modified and `304 Not Modified` for conditional requests. Only on this
 * machine: 127.0.0.1 and ::1 (so `localhost` works whichever it resolves to first).
 */

export interface LocalServer {
  /** `http://localhost:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open (keep-alive) connections. */
  close(): Promise<void>;
}

/** The port is taken; `freePort` was free a moment ago, for the hint. */
export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
  constructor(readonly port: number, readonly freePort: number | undefined, options?: ErrorOptions) {
    super(`port ${port} is in use: stop the other server${freePort === undefined ? "" : ` or use a free one, e.g. PORT=${freePort} npm start`}`, options);
  }
}

const LOOPBACK = ["127.0.0.1", "::1"] as const;
const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);
/** Below this a compressed body saves nothing worth the CPU (CloudFront's own floor is 1,000 bytes). */
const MIN_COMPRESS_BYTES = 1000;

/** Formats compressed in themselves (the font, images): CloudFront does not compress them either. */
const ALREADY_COMPRESSED = /^(font\/woff2|image\/)/;

/** Accept-Encoding, as CloudFront negotiates it: brotli first, then gzip; `q=0` refuses. */
export function chooseEncoding(acceptEncoding: string | undefined): "br" | "gzip" | undefined {
  const accepted = new Set<string>();
  for (const part of (acceptEncoding ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (name && !(q && Number(q.slice(2)) === 0)) accepted.add(name);
  }
  if (accepted.has("br")) return "br";
  if (accepted.has("gzip") || accepted.has("*")) return "gzip";
  return undefined;
}

/**
 * The file for a URL path under `root`, or undefined (404): no dot-files, no `..`, and
 * never through a symlink that leads out of the folder (the real path must be inside).
 */
async function resolveFile(root: string, realRoot: string, urlPath: string): Promise<string | undefined> {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (path.includes("\0") || path.split("/").some((segment) => segment.startsWith("."))) return undefined;
  let full = resolve(join(root, path));
  if (full !== root && !full.startsWith(root + sep)) return undefined;
  try {
    if ((await stat(full)).isDirectory()) full = join(full, INDEX_PAGE);
    const real = await realpath(full);
    if (!real.startsWith(realRoot + sep)) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** If-None-Match / If-Modified-Since (RFC 9110: the ETag wins when both are sent). */
function notModified(req: IncomingMessage, etag: string, mtime: Date): boolean {
  const ifNoneMatch = req.headers["if-none-match"];
  if (ifNoneMatch) return ifNoneMatch.split(",").some((t) => t.trim() === "*" || t.trim().replace(/^W\//, "") === etag.replace(/^W\//, ""));
  const since = Date.parse(req.headers["if-modified-since"] ?? "");
  return !Number.isNaN(since) && Math.floor(mtime.getTime() / 1000) * 1000 <= since;
}

async function handle(root: string, realRoot: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? "GET";
  const text = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff", ...headers });
    res.end(method === "HEAD" ? undefined : body);
  };
  if (method === "OPTIONS") {
    res.writeHead(204, { ...preflightResponseHeaders(), Allow: "GET, HEAD, OPTIONS" });
    res.end();
    return;
  }
  if (method !== "GET" && method !== "HEAD") return text(405, "Method not allowed\n", { Allow: "GET, HEAD, OPTIONS" });
  const file = await resolveFile(root, realRoot, new URL(req.url ?? "/", "http://localhost").pathname);
  if (!file) return text(404, `Not found. The feeds are listed at /${INDEX_PAGE}\n`);

  const [body, st] = await Promise.all([readFile(file), stat(file)]);
  const stored = readFileHeaders(realRoot, file);
  // Weak: the compressed and plain bodies are the same resource.
  const etag = `W/"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  const headers: Record<string, string> = {
    ...publicResponseHeaders(),
    // As stored by DirectorySite with each file: the same values S3 holds as object metadata.
    "Content-Type": stored.contentType,
    "Cache-Control": stored.cacheControl,
    ETag: etag,
    "Last-Modified": st.mtime.toUTCString(),
    Vary: "Accept-Encoding",
  };
  if (notModified(req, etag, st.mtime)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const encoding = body.length >= MIN_COMPRESS_BYTES && !ALREADY_COMPRESSED.test(stored.contentType) ? chooseEncoding(req.headers["accept-encoding"]) : undefined;
  const sent = encoding === "br"
    ? await brotliAsync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } })
    : encoding === "gzip" ? await gzipAsync(body) : body;
  res.writeHead(200, { ...headers, ...(encoding ? { "Content-Encoding": encoding } : {}), "Content-Length": String(sent.length) });
  res.end(method === "HEAD" ? undefined : sent);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once("error", reject);
    server.listen({ port, host, ipv6Only: host === "::1" }, () => {
      server.off("error", reject);
      resolveListen((server.address() as AddressInfo).port);
    });
  });
}

/** Listens on every loopback address on one port; `port` 0 picks one free on all of them. */
async function listenOnLoopback(handler: (req: IncomingMessage, res: ServerResponse) => void, port: number): Promise<{ servers: Server[]; port: number }> {
  const servers: Server[] = [];
  let actual = port;
  try {
    for (const host of LOOPBACK) {
      const server = createServer(handler);
      try {
        // The IPv6 listener takes the port the IPv4 one got, so both answer on one URL.
        actual = await listen(server, actual, host);
        servers.push(server);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // A machine without IPv6 is served on IPv4 alone.
        if (host === "::1" && (code === "EADDRNOTAVAIL" || code === "EAFNOSUPPORT")) continue;
        throw err;
      }
    }
    return { servers, port: actual };
  } catch (err) {
    await closeAll(servers);
    throw err;
  }
}

async function closeAll(servers: readonly Server[]): Promise<void> {
  await Promise.all(servers.map((s) => new Promise<void>((r) => {
    s.close(() => r());
    s.closeAllConnections();
  })));
}

const isInUse = (err: unknown) => (err as NodeJS.ErrnoException).code === "EADDRINUSE";

/** A port after `from` that nothing listens on right now (on any loopback address), for the "port in use" hint. */
async function findFreePort(from: number): Promise<number | undefined> {
  for (let port = from + 1; port <= Math.min(65535, from + 50); port++) {
    try {
      await closeAll((await listenOnLoopback(() => {}, port)).servers);
      return port;
    } catch (err) {
      if (!isInUse(err)) return undefined;
    }
  }
  return undefined;
}

/** Serves `root` on localhost; `port` 0 picks a free one. Throws `PortInUseError`. */
export async function startLocalServer(root: string, port: number): Promise<LocalServer> {
  const absRoot = resolve(root);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    // dist/ may not exist until the first build has written it.
    realpath(absRoot).then((realRoot) => handle(absRoot, realRoot, req, res), () => handle(absRoot, absRoot, req, res)).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(`Internal error: ${(err as Error).message}\n`);
    });
  };
  // With port 0 the IPv4 port may be taken on ::1 by someone else: pick again.
  for (let attempt = 0; ; attempt++) {
    try {
      const { servers, port: actual } = await listenOnLoopback(handler, port);
      return { url: `http://localhost:${actual}`, port: actual, close: () => closeAll(servers) };
    } catch (err) {
      if (!isInUse(err)) throw err;
      if (port === 0 && attempt < 5) continue;
      throw new PortInUseError(port, await findFreePort(port), { cause: err });
    }
  }
}
