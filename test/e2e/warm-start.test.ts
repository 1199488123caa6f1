import { cp, mkdtemp, readFile, readdir, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../bin/feedpub.js";
import { LocalPipeline, type LocalPipelineOptions, type RunSummary } from "../../local/local-pipeline.js";
import { deserialize, serialize } from "node:v8";
import { DIST_MARKER, SNAPSHOT, StoreInUseError } from "../../local/warm-store.js";
import type { ContentSource } from "../../lambdas/core/ports.js";

/**
 * Warm start: the store kept between runs in a folder; only files whose metadata changed
 * are read again, and an unchanged folder writes nothing. Each test has its own project
 * folder (content, dist, store).
 */

const NOW = new Date("2026-11-28T12:00:00Z");
const EDITED = "articles/2024/sample-startup-funding.md";

let root: string;
beforeAll(async () => { root = await mkdtemp(join(tmpdir(), "feedpub-warm-")); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

let projects = 0;
async function project(): Promise<{ dir: string; content: string; out: string; store: string }> {
  const dir = join(root, `p${++projects}`);
  await cp(new URL("../../content", import.meta.url).pathname, join(dir, "content"), { recursive: true });
  return { dir, content: join(dir, "content"), out: join(dir, "dist"), store: join(dir, ".feedpub", "store", "s") };
}

/** One run of `build` on the pipeline, counting the content files read. */
async function build(p: { content: string; out: string; store: string }, extra: Partial<LocalPipelineOptions> = {}): Promise<RunSummary & { reads: string[] }> {
  const reads: string[] = [];
  const counting = (s: ContentSource): ContentSource => ({
    read: (key, max) => { reads.push(key); return s.read(key, max); },
    list: (prefix) => s.list(prefix),
    exists: (key) => s.exists(key),
  });
  const pipeline = await LocalPipeline.start({ contentDir: p.content, outDir: p.out, storeDir: p.store, now: () => NOW, wrapSource: counting, ...extra });
  try {
    return { ...(await pipeline.buildAll()), reads: [...new Set(reads)].sort() };
  } finally {
    await pipeline.close();
  }
}

/** Every file under `dir` with its mtime (ns), the warm-start marker left out. */
async function mtimes(dir: string): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || e.name === DIST_MARKER) continue;
    const path = join(e.parentPath, e.name);
    out.set(path.slice(dir.length + 1), (await stat(path, { bigint: true })).mtimeNs);
  }
  return out;
}

async function allText(dir: string): Promise<string> {
  const texts: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) if (e.isFile()) texts.push(await readFile(join(e.parentPath, e.name), "utf8"));
  return texts.join("\n");
}

describe("warm start", () => {
  it("an unchanged folder: nothing read, nothing written, every mtime in dist/ the same", async () => {
    const p = await project();
    const cold = await build(p);
    expect(cold.start?.mode).toBe("cold");
    expect(cold.publish!.written.length).toBeGreaterThan(10);
    const before = await mtimes(p.out);
    const marker = await readFile(join(p.out, DIST_MARKER), "utf8");

    const warm = await build(p);
    expect(warm.start).toEqual({ mode: "warm", fullPublish: false });
    expect(warm.reads).toEqual([]);
    expect(warm.publish?.written ?? []).toEqual([]);
    // The results are still every file's, as the cold run reported them.
    expect(warm.results.map((r) => [r.key, r.outcome])).toEqual(cold.results.map((r) => [r.key, r.outcome]));
    expect(await mtimes(p.out)).toEqual(before);
    expect(await readFile(join(p.out, DIST_MARKER), "utf8")).toBe(marker);
  });

  it("an edited, a new and a deleted file are each picked up, and only they are read", async () => {
    const p = await project();
    await build(p);
    const edited = (await readFile(join(p.content, EDITED), "utf8")).replace(/^title: .*$/m, 'title: "Edited between runs"');
    await writeFile(join(p.content, EDITED), edited);
    await writeFile(join(p.content, "articles/2024/new-between-runs.md"), "---\ntitle: New between runs\nauthor: usman-aslam\ndate: 2024-06-01T10:00:00+05:00\n---\nA new article.\n");
    const goneTitle = /^title: "?(.*?)"?$/m.exec(await readFile(join(p.content, "articles/2024/sample-urdu-solar.md"), "utf8"))![1]!;
    await unlink(join(p.content, "articles/2024/sample-urdu-solar.md"));

    const warm = await build(p);
    expect(warm.start?.mode).toBe("warm");
    expect(warm.reads).toEqual(["articles/2024/new-between-runs.md", EDITED, "articles/2024/sample-urdu-solar.md"].sort());
    const outcome = (key: string) => warm.results.find((r) => r.key === key)?.outcome;
    expect(outcome(EDITED)).toBe("updated");
    expect(outcome("articles/2024/new-between-runs.md")).toBe("published");
    expect(outcome("articles/2024/sample-urdu-solar.md")).toBeUndefined();
    expect(warm.publish!.written.length).toBeGreaterThan(0);
    const site = await readFile(join(p.out, "feed.xml"), "utf8").catch(async () => allText(p.out));
    expect(site).toContain("Edited between runs");
    expect(site).toContain("New between runs");
    expect(await allText(p.out)).not.toContain(goneTitle);

    // The files of a fresh build of the same folder; besides them only the feed the deleted
    // article was alone in, now empty (as when serve sees the delete: feed URLs stay valid).
    const warmFiles = [...(await mtimes(p.out)).keys()].sort();
    const again = await project();
    await rm(again.content, { recursive: true });
    await cp(p.content, again.content, { recursive: true });
    await build(again);
    const freshFiles = [...(await mtimes(again.out)).keys()].sort();
    expect(warmFiles.filter((f) => !f.includes("categories/اردو/"))).toEqual(freshFiles);

    // And the next run reads nothing again.
    const third = await build(p);
    expect(third.reads).toEqual([]);
    expect(third.publish?.written ?? []).toEqual([]);
  });

  it("the same bytes with a new mtime are read again and write nothing", async () => {
    const p = await project();
    await build(p);
    const later = new Date(Date.now() + 5_000);
    const { utimes } = await import("node:fs/promises");
    await utimes(join(p.content, EDITED), later, later);
    const warm = await build(p);
    expect(warm.reads).toEqual([EDITED]);
    expect(warm.publish?.written ?? []).toEqual([]);
  });

  it("a changed site.yaml or author is published whole (archive pages carry their links and names)", async () => {
    const p = await project();
    await build(p);
    const author = "authors/usman-aslam.md";
    await writeFile(join(p.content, author), (await readFile(join(p.content, author), "utf8")).replace(/^name: .*$/m, "name: Renamed Between Runs"));
    const warm = await build(p);
    expect(warm.reads).toEqual([author]);
    expect(await allText(p.out)).not.toMatch(/Usman Aslam/);
    expect(warm.start?.fullPublish).toBe(true);
  });

  it("fresh starts over: every file read again", async () => {
    const p = await project();
    const cold = await build(p);
    const fresh = await build(p, { fresh: true });
    expect(fresh.start?.mode).toBe("cold");
    expect(fresh.start?.notice).toMatch(/--fresh/);
    expect(fresh.reads).toEqual(cold.reads);
    expect(fresh.reads.length).toBeGreaterThan(5);
  });

  it("a deleted dist/ is published whole; a dist/ this store did not write too", async () => {
    const p = await project();
    await build(p);
    const files = [...(await mtimes(p.out)).keys()].sort();
    await rm(p.out, { recursive: true });
    const warm = await build(p);
    expect(warm.reads).toEqual([]);
    expect(warm.start?.fullPublish).toBe(true);
    expect([...(await mtimes(p.out)).keys()].sort()).toEqual(files);

    // Another run wrote this dist/ (its marker differs): published whole again.
    await writeFile(join(p.out, DIST_MARKER), "someone else\n");
    await writeFile(join(p.out, "feed.json"), "{}");
    const next = await build(p);
    expect(next.start?.fullPublish).toBe(true);
    expect(next.publish!.written).toContain("feed.json");
  });

  it("a store of an older layout is started over with a message", async () => {
    const p = await project();
    await build(p);
    const snapshot = deserialize(await readFile(join(p.store, SNAPSHOT))) as Record<string, unknown>;
    await writeFile(join(p.store, SNAPSHOT), serialize({ ...snapshot, version: 1 }));
    const r = await build(p);
    expect(r.start?.mode).toBe("cold");
    expect(r.start?.notice).toMatch(/another feedpub version/);
    expect(r.reads.length).toBeGreaterThan(5);
  });

  it("a corrupt snapshot, or a store without one, is a cold build with a message", async () => {
    const p = await project();
    const cold = await build(p);
    await writeFile(join(p.store, SNAPSHOT), "not a snapshot");
    const r = await build(p);
    expect(r.start?.mode).toBe("cold");
    expect(r.start?.notice).toMatch(/unreadable/);
    expect(r.reads).toEqual(cold.reads);
    await unlink(join(p.store, SNAPSHOT));
    const again = await build(p);
    expect(again.start?.notice).toMatch(/no snapshot/);
    expect(again.reads).toEqual(cold.reads);
    expect((await build(p)).reads).toEqual([]);
  });

  it("a snapshot of another content folder is not used", async () => {
    const p = await project();
    await build(p);
    const q = await project();
    const r = await build({ ...q, store: p.store });
    expect(r.start?.notice).toMatch(/another content folder/);
    expect(r.reads.length).toBeGreaterThan(5);
  });

  it("a store open in another live process is refused; a lock left by a dead one is taken over", async () => {
    const p = await project();
    await build(p);
    await writeFile(`${p.store}.lock`, String(process.ppid));
    await expect(build(p)).rejects.toBeInstanceOf(StoreInUseError);
    await writeFile(`${p.store}.lock`, "999999999");
    expect((await build(p)).reads).toEqual([]);
    await expect(stat(`${p.store}.lock`)).rejects.toThrow();
  });

  it("a change seen by serve is kept: the next start reads nothing", async () => {
    const p = await project();
    await build(p);
    const pipeline = await LocalPipeline.start({ contentDir: p.content, outDir: p.out, storeDir: p.store, now: () => NOW });
    try {
      expect((await pipeline.buildAll()).ingested).toEqual([]);
      await writeFile(join(p.content, EDITED), (await readFile(join(p.content, EDITED), "utf8")).replace(/^title: .*$/m, 'title: "Saved while serving"'));
      const saved = (await stat(join(p.store, SNAPSHOT), { bigint: true })).mtimeNs;
      const r = await pipeline.fileChanged(EDITED, "put");
      expect(r.results[0]!.outcome).toBe("updated");
      // Saved about a second after the change, while still serving (a crash then loses nothing).
      const deadline = Date.now() + 10_000;
      while ((await stat(join(p.store, SNAPSHOT), { bigint: true })).mtimeNs === saved && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect((await stat(join(p.store, SNAPSHOT), { bigint: true })).mtimeNs).not.toBe(saved);
    } finally {
      await pipeline.close();
    }
    const next = await build(p);
    expect(next.reads).toEqual([]);
    expect(next.publish?.written ?? []).toEqual([]);
    expect(await allText(p.out)).toContain("Saved while serving");
  });
});

describe("warm start through the CLI", () => {
  async function feedpub(args: string[], cwd: string) {
    let stdout = "";
    let stderr = "";
    const code = await run(args, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, env: { NO_COLOR: "1" }, cwd });
    return { code, stdout, stderr };
  }

  it("build, build (0 files written), build --fresh; two base URLs never mix", async () => {
    const p = await project();
    const first = await feedpub(["build"], p.dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/7 feeds, 31 files written to dist\//);
    const second = await feedpub(["build"], p.dir);
    expect(second.stdout).toMatch(/0 files written to dist\//);
    const fresh = await feedpub(["build", "--fresh"], p.dir);
    expect(fresh.stderr).toMatch(/--fresh/);
    expect(fresh.stdout).toMatch(/7 feeds, 0 files written to dist\/ \(31 unchanged\)/);

    const a = await feedpub(["build", "--base-url", "https://a.example"], p.dir);
    expect(a.code).toBe(0);
    let text = await allText(p.out);
    expect(text).toContain("https://a.example/");
    expect(text).not.toContain("https://b.example/");
    await feedpub(["build", "--base-url", "https://b.example"], p.dir);
    text = await allText(p.out);
    expect(text).toContain("https://b.example/");
    expect(text).not.toContain("https://a.example/");
    // Back to a: its own store, and dist/ was written by b's: published whole, nothing of b left.
    const back = await feedpub(["build", "--base-url", "https://a.example"], p.dir);
    // Every document again; only the font (the same for every base URL) is unchanged.
    expect(back.stdout).toMatch(/7 feeds, 30 files written to dist\/ \(1 unchanged\)/);
    text = await allText(p.out);
    expect(text).toContain("https://a.example/");
    expect(text).not.toContain("https://b.example/");
    expect((await readdir(join(p.dir, ".feedpub", "store"))).length).toBe(3);
  });
});
