import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../bin/feedpub.js";

/** The CLI as an editor runs it: exit codes and the one line each bad file gets. In process: `run()` is the whole CLI. */

async function feedpub(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run(args, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, env: { NO_COLOR: "1" }, cwd });
  return { code, stdout, stderr };
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "feedpub-cli-"));
  await cp(new URL("../../content", import.meta.url).pathname, join(work, "content"), { recursive: true });
});
afterAll(async () => { await rm(work, { recursive: true, force: true }); });

describe("feedpub CLI", () => {
  it("check: exit 0 when every file is accepted", async () => {
    const r = await feedpub(["check", "--content", "content"], work);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^4 articles, 2 authors accepted in \d+\.\d s\n$/);
    expect(r.code).toBe(0);
  });

  it("build: bad files get one line each, the rest is published, exit 1", async () => {
    const bad: Record<string, string> = {
      "content/articles/no-title.md": "---\nauthor: usman-aslam\ndate: 2024-01-01\n---\nx\n",
      "content/articles/ghost.md": "---\ntitle: Ghost\nauthor: casper\ndate: 2024-01-01\n---\nx\n",
      "content/articles/bad-date.md": "---\ntitle: Bad date\nauthor: usman-aslam\ndate: 2024-02-30\n---\nx\n",
      "content/articles/broken-yaml.md": "---\ntitle: \"unclosed\nauthor: usman-aslam\n---\nx\n",
      "content/articles/2025/pakistan-korea-ev-charging.md": "---\ntitle: Same slug\nauthor: usman-aslam\ndate: 2024-01-01\n---\nx\n",
      "content/articles/control.md": "---\ntitle: Bell\nauthor: usman-aslam\ndate: 2024-01-01\n---\nding\u0007 dong\n",
      "content/articles/.DS_Store": "\u0000\u0001binary",
    };
    for (const [path, text] of Object.entries(bad)) {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), text);
    }
    const r = await feedpub(["build", "--content", "content", "--out", "dist"], work);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^✗ content\/articles\/no-title\.md: error in title: is missing\. Fix: add `title: "Headline"`/),
      expect.stringMatching(/^! content\/articles\/ghost\.md: warning in author: waiting for author "casper"\. Fix: add authors\/casper\.md; this file is published then, with no new upload/),
      expect.stringMatching(/^✗ content\/articles\/bad-date\.md: error in date: "2024-02-30" is not a real date/),
      expect.stringMatching(/^✗ content\/articles\/broken-yaml\.md: error in front matter: YAML error near line \d/),
      expect.stringMatching(/^✗ content\/articles\/2025\/pakistan-korea-ev-charging\.md: error in file name: the slug "pakistan-korea-ev-charging" is already used by articles\/2024\/pakistan-korea-ev-charging\.md/),
      expect.stringMatching(/^! content\/articles\/control\.md: warning in body: contains the invisible control character U\+0007 \(line 1, column 5\)/),
    ]));
    expect(lines).toHaveLength(6); // .DS_Store is ignored silently
    expect(r.stdout).toMatch(/5 articles, 2 authors accepted; 4 files rejected \(see above\); 1 file held, waiting for what they name \(see above\); \d+ feeds, \d+ files written to dist\//);
    const rss = await readFile(join(work, "dist/feed.xml"), "utf8");
    expect(rss).toContain("Pakistan &amp; Korea Set To Collaborate");
    expect(rss).toContain("<title>Bell</title>");
    expect(rss).toContain("ding dong");
    expect(rss).not.toContain("Same slug");
  });

  it("exit 2 for a broken site.yaml, a missing folder, or a usage error", async () => {
    await writeFile(join(work, "content/site.yaml"), "title: x\nbaseUrl: not-a-url\n");
    const site = await feedpub(["build", "--content", "content", "--out", "dist2"], work);
    expect(site.code).toBe(2);
    expect(site.stderr).toMatch(/✗ content\/site\.yaml: error in baseUrl: must be an absolute http\(s\) URL\. Fix: add `baseUrl: /);
    const missing = await feedpub(["check", "--content", "nowhere"], work);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/content folder not found/);
    const usage = await feedpub(["build", "--bogus"], work);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/unknown option '--bogus'/);
  });

  it("--help on every command", async () => {
    for (const cmd of [[], ["build"], ["check"], ["serve"]]) {
      const r = await feedpub([...cmd, "--help"], work);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: feedpub/);
    }
  });
});

describe("the package as a contributor or a content repository meets it", () => {
  const root = new URL("../..", import.meta.url).pathname;
  const pkg = async () => JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { bin: Record<string, string>; engines: { node: string }; license: string };

  it("`npx feedpub` runs the CLI: the bin entry is an executable file with a shebang", async () => {
    const { bin } = await pkg();
    expect(bin).toEqual({ feedpub: "bin/feedpub.ts" });
    await access(join(root, bin.feedpub!), constants.X_OK);
    expect((await readFile(join(root, bin.feedpub!), "utf8")).split("\n")[0]).toBe("#!/usr/bin/env -S npx tsx");
    const { stdout } = await promisify(execFile)("npx", ["--no-install", "feedpub", "--help"], { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
    expect(stdout).toMatch(/^Usage: feedpub \[options\] \[command\]/);
    for (const command of ["check", "build", "serve", "upload", "status", "remove"]) expect(stdout).toContain(`  ${command} `);
  });

  it("engines names the oldest Node the code runs on (Dirent.parentPath: 20.12), and the LICENSE is the license package.json names", async () => {
    const { engines, license } = await pkg();
    expect(engines.node).toBe(">=20.12");
    expect(license).toBe("MIT");
    expect((await readFile(join(root, "LICENSE"), "utf8")).split("\n")[0]).toBe("MIT License");
  });
});
