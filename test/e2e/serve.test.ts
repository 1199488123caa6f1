import { spawn, type ChildProcess } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `npm start` as a user runs it: tsx starting `bin/feedpub.ts serve` in its own process
 * (the one test here that spawns). It serves on IPv4 and IPv6 localhost, rebuilds a saved
 * file, and the first Ctrl-C (SIGINT) or SIGTERM ends the process: watcher, listeners,
 * timer and dynalite are all closed, nothing keeps Node alive.
 */

const ROOT = new URL("../..", import.meta.url).pathname;
const TSX = join(ROOT, "node_modules/.bin/tsx");
const CLI = join(ROOT, "bin/feedpub.ts");

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "feedpub-serve-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly content: string;
  /** Everything printed so far. */
  output(): string;
  /** Resolves when the output matches. */
  waitFor(pattern: RegExp): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startServe(name: string): Promise<Served> {
  const dir = join(work, name);
  const content = join(dir, "content");
  await cp(join(ROOT, "content"), content, { recursive: true });
  const child = spawn(TSX, [CLI, "serve"], { cwd: dir, env: { ...process.env, PORT: "0", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...waiters]) if (w.pattern.test(out)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  const waitFor = (pattern: RegExp) => new Promise<void>((resolve, reject) => {
    if (pattern.test(out)) return resolve();
    waiters.push({ pattern, resolve });
    void exited.then(() => reject(new Error(`exited before printing ${pattern}:\n${out}`)));
  });
  await waitFor(/Ctrl-C stops\./);
  const url = /Serving dist\/ at (http:\/\/localhost:\d+)\//.exec(out)?.[1];
  if (!url) throw new Error(`no URL in:\n${out}`);
  return { child, url, content, output: () => out, waitFor, exited };
}

/** Exits within `ms` or fails (and kills it, so the test run does not hang). */
async function exitWithin(s: Served, ms: number) {
  const timer = setTimeout(() => s.child.kill("SIGKILL"), ms);
  const result = await s.exited;
  clearTimeout(timer);
  return result;
}

describe("npm start (feedpub serve) in its own process", () => {
  it("serves on 127.0.0.1 and ::1, rebuilds a saved file, and exits 0 on the first SIGINT; likewise on SIGTERM", async () => {
    const [a, b] = await Promise.all([startServe("sigint"), startServe("sigterm")]);
    try {
      const port = new URL(a.url).port;
      for (const host of ["127.0.0.1", "[::1]"]) {
        const res = await fetch(`http://${host}:${port}/feed.xml`);
        expect(res.status, host).toBe(200);
        expect(await res.text()).toContain("<rss");
      }

      // The watcher is running: a saved edit is rebuilt and reported.
      const article = join(a.content, "articles/2024/sample-ev-sales-report.md");
      await writeFile(article, (await readFile(article, "utf8")).replace("Double in a Year", "Double Again"));
      await a.waitFor(/articles\/2024\/sample-ev-sales-report\.md: updated; \d+ files written/);
      expect(await (await fetch(`${a.url}/feed.xml`)).text()).toContain("Double Again");

      a.child.kill("SIGINT");
      b.child.kill("SIGTERM");
      expect(await exitWithin(a, 10_000), a.output()).toEqual({ code: 0, signal: null });
      expect(await exitWithin(b, 10_000), b.output()).toEqual({ code: 0, signal: null });
      await expect(fetch(`${a.url}/feed.xml`)).rejects.toThrow();
    } finally {
      a.child.kill("SIGKILL");
      b.child.kill("SIGKILL");
    }
  });
});
