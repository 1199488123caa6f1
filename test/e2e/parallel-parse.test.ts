import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalPipeline, type RunSummary } from "../../local/local-pipeline.js";

/**
 * The bulk build parses articles in worker threads ahead of the ingest loop: the same
 * content folder built with the parse in process and with several workers gives the
 * same results and a byte-identical output folder.
 */

const NOW = new Date("2026-11-28T12:00:00Z");
const ARTICLES = 240;

let root: string;
let content: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "feedpub-parallel-"));
  content = join(root, "content");
  // A corpus of its own (authors, categories, tags, Urdu, long bodies), not the peer generator outside the repository.
  await mkdir(join(content, "articles"), { recursive: true });
  await mkdir(join(content, "authors"), { recursive: true });
  const authors = ["amina-khan", "bilal-ahmed", "chen-li"];
  for (const a of authors) await writeFile(join(content, "authors", `${a}.md`), `---\nname: ${a.replace("-", " ")}\n---\nWrites news.\n`);
  for (let i = 0; i < ARTICLES; i++) {
    const urdu = i % 20 === 0;
    const body = urdu ? "یہ ایک خبر ہے۔ ".repeat(40) : `Paragraph ${i} with **bold**, a [link](https://example.com/${i}) and text.\n\n`.repeat(20);
    const fm = [`title: "${urdu ? "خبر" : "Story"} ${i}"`, `author: ${authors[i % authors.length]}`, `date: 2024-${String(1 + (i % 12)).padStart(2, "0")}-${String(1 + (i % 28)).padStart(2, "0")}T${String(i % 24).padStart(2, "0")}:15:00+05:00`, `categories: [${["Politics", "Sports", "Tech"][i % 3]}]`, `tags: [t${i % 7}, t${i % 5}]`, ...(urdu ? ["lang: ur"] : [])];
    await writeFile(join(content, "articles", `story-${String(i).padStart(4, "0")}.md`), `---\n${fm.join("\n")}\n---\n${body}\n`);
  }
  await cp(new URL("../../content/site.yaml", import.meta.url).pathname, join(content, "site.yaml"));
  // A rejected file, a held one (unknown author), and two files of one slug.
  await writeFile(join(content, "articles/broken.md"), "---\ntitle: [unclosed\n---\nBody\n");
  await writeFile(join(content, "articles/held.md"), "---\ntitle: Held\nauthor: nobody-here\ndate: 2024-06-01T10:00:00+05:00\n---\nBody.\n");
  const first = (await readdir(join(content, "articles")))[0]!;
  await cp(join(content, "articles", first), join(content, "articles", "zz", first), { recursive: true });
}, 120_000);
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

async function build(workers: number): Promise<{ run: RunSummary; files: Map<string, string> }> {
  const out = join(root, `dist-${workers}`);
  const pipeline = await LocalPipeline.start({ contentDir: content, outDir: out, now: () => NOW, workers });
  try {
    const run = await pipeline.buildAll();
    const files = new Map<string, string>();
    for (const e of await readdir(out, { recursive: true, withFileTypes: true })) {
      if (e.isFile()) files.set(join(e.parentPath, e.name).slice(out.length + 1), (await readFile(join(e.parentPath, e.name))).toString("base64"));
    }
    return { run, files };
  } finally {
    await pipeline.close();
  }
}

describe("parse in worker threads", () => {
  it("1 and 3 workers give the results and the byte-identical dist/ of the in-process parse", { timeout: 240_000 }, async () => {
    const sequential = await build(0);
    expect(sequential.run.results.filter((r) => r.outcome === "published").length).toBeGreaterThanOrEqual(ARTICLES);
    expect(sequential.run.results.find((r) => r.key === "articles/broken.md")?.outcome).toBe("rejected");
    expect(sequential.run.results.find((r) => r.key === "articles/held.md")?.outcome).toBe("held");
    expect(sequential.files.size).toBeGreaterThan(50);
    for (const workers of [1, 3]) {
      const parallel = await build(workers);
      expect(parallel.run.results).toEqual(sequential.run.results);
      expect([...parallel.files.keys()].sort()).toEqual([...sequential.files.keys()].sort());
      for (const [path, body] of sequential.files) expect(parallel.files.get(path), path).toBe(body);
    }
  });
});
