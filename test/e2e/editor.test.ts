import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3Event } from "aws-lambda";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sha256 } from "../../lambdas/app/hash.js";
import { run } from "../../bin/feedpub.js";
import { CONTENT, SITE, startAwsHarness, type AwsHarness } from "../support/aws-harness.js";

/**
 * The editor loop on s3rver: `feedpub upload --wait`, `status` and `remove`, run in
 * process, while a stand-in for the ingest Lambda (the real `handleS3Event`, on dynalite)
 * takes s3rver's events as they come and writes the reports.
 */

let h: AwsHarness;
let work: string;

/** The stand-in ingests every event as it comes, except while `paused` or for keys `held` back (those wait). */
const pump = { paused: false, held: (_key: string) => false };
let pumping: Promise<void> | undefined;
let stopped = false;

async function ingestLoop(): Promise<void> {
  let waiting: S3Event[] = [];
  while (!stopped) {
    if (!pump.paused) {
      const events = [...waiting, ...h.takeEvents()];
      const now = events.filter((e) => !pump.held(decodeURIComponent(e.Records[0]!.s3.object.key)));
      waiting = events.filter((e) => !now.includes(e));
      if (now.length > 0) await h.ingest(now);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Ingest (in the harness) runs on the real clock; `status` is told the same. */
const CLOCK = new Date();
/** A month ahead, on the hour: a scheduled article (within a year, so without the far-future warning). */
const LATER = `${new Date(Math.floor(CLOCK.getTime() / 3_600_000) * 3_600_000 + 30 * 86_400_000).toISOString().slice(0, 19)}Z`;

async function feedpub(args: string[], now = CLOCK) {
  let stdout = "";
  let stderr = "";
  const code = await run([...args, "--endpoint", h.s3.endpoint], {
    stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, env: { NO_COLOR: "1" }, cwd: work, now: () => now,
  });
  return { code, stdout, stderr };
}

/** A content folder under the work folder with these files. */
async function folder(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  for (const [key, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, key)), { recursive: true });
    await writeFile(join(dir, key), text);
  }
  await mkdir(dir, { recursive: true });
  return name;
}

const article = (title: string, front = "author: ayesha-khan\ndate: 2024-05-01 10:00") => `---\ntitle: ${title}\n${front}\n---\nBody of ${title}.\n`;

async function inBucket(key: string): Promise<boolean> {
  return h.s3.client.send(new HeadObjectCommand({ Bucket: CONTENT, Key: key })).then(() => true, () => false);
}
const hasReport = (key: string) => inBucket(`_reports/${key}.txt`);

beforeAll(async () => {
  // The CLI's S3 client takes its credentials from the SDK's default chain, as on an editor's machine.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
  vi.stubEnv("AWS_REGION", "us-east-1");
  h = await startAwsHarness("editor");
  work = await mkdtemp(join(tmpdir(), "feedpub-editor-"));
  await cp(new URL("../../content", import.meta.url).pathname, join(work, "content"), { recursive: true });
  pumping = ingestLoop();
});
afterAll(async () => {
  stopped = true;
  await pumping;
  vi.unstubAllEnvs();
  await h?.close();
  await rm(work, { recursive: true, force: true });
});

describe("feedpub upload --wait", () => {
  it("uploads, then prints ingest's outcome for each file from its report", async () => {
    const r = await feedpub(["upload", "--bucket", CONTENT, "--content", "content", "--wait"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^7 files uploaded to s3:\/\/content-bucket, 0 unchanged\. Waiting for their reports \(up to 120 s\)\.\.\.$/m);
    expect(r.stdout).toMatch(/^✓ site\.yaml: published$/m);
    expect(r.stdout).toMatch(/^✓ authors\/ayesha-khan\.md: published$/m);
    expect(r.stdout).toMatch(/^✓ articles\/2024\/sample-ev-sales-report\.md: published$/m);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("7 published");
  });

  it("a subset without a local site.yaml or authors is checked against the bucket's; scheduled and draft articles say so", async () => {
    const dir = await folder("subset", {
      "articles/2026/later.md": article("Later", `author: ayesha-khan\ndate: ${LATER}`),
      "articles/2026/unfinished.md": article("Unfinished", "author: usman-aslam\ndate: 2026-01-01 09:00\ndraft: true"),
      "articles/2026/not-this-one.md": article("Not named on the command line"),
    });
    const r = await feedpub(["upload", "--bucket", CONTENT, "--content", dir, "articles/2026/later.md", `${dir}/articles/2026/unfinished.md`, "--wait"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^• articles/2026/later\\.md: scheduled for ${LATER}$`, "m"));
    expect(r.stdout).toMatch(/^• articles\/2026\/unfinished\.md: draft$/m);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("1 scheduled, 1 draft");
    expect(await inBucket("articles/2026/not-this-one.md")).toBe(false);
  });

  it("a file whose author is in neither folder nor bucket: held locally, uploaded, held by ingest: exit 1 with what it waits for", async () => {
    const dir = await folder("stranger", { "articles/who.md": article("Who", "author: casper\ndate: 2024-05-01 10:00") });
    const r = await feedpub(["upload", "--bucket", CONTENT, "--content", dir, "--wait"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^! stranger\/articles\/who\.md: warning in author: waiting for author "casper"/m);
    expect(r.stdout).toMatch(/^! articles\/who\.md: held\n {4}articles\/who\.md: warning in author: waiting for author "casper"\. Fix: add authors\/casper\.md/m);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("1 held");
  });

  it("a bucket without site.yaml, and no local one: usage error, nothing uploaded", async () => {
    const dir = await folder("no-site", { "articles/x.md": article("X") });
    const r = await feedpub(["upload", "--bucket", SITE, "--content", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/site\.yaml is neither in no-site\/ nor in s3:\/\/site-bucket\/\. Fix: create no-site\/site\.yaml/);
  });

  it("a file ingest rejects (its slug is another key's): exit 1, with the report's lines", async () => {
    const dir = await folder("twin", { "articles/2025/sample-ev-sales-report.md": article("Same slug") });
    const r = await feedpub(["upload", "--bucket", CONTENT, "--content", dir, "--wait"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ articles\/2025\/sample-ev-sales-report\.md: rejected\n {4}articles\/2025\/sample-ev-sales-report\.md: error in file name: the slug "sample-ev-sales-report" is already used by articles\/2024\/sample-ev-sales-report\.md/m);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("1 rejected");
  });

  it("a file held for an author of the same upload, whose event comes later, is reported as published once released", async () => {
    const dir = await folder("newbie", {
      "authors/newbie.md": "---\nname: New Writer\n---\n",
      "articles/by-newbie.md": article("By newbie", "author: newbie\ndate: 2024-05-02 10:00"),
    });
    pump.held = (key) => key === "authors/newbie.md";
    try {
      const waiting = feedpub(["upload", "--bucket", CONTENT, "--content", dir, "--wait"]);
      await until("the held report", async () => (await hasReport("articles/by-newbie.md")) && (await h.contentText("_reports/articles/by-newbie.md.txt")).includes(": held\n"));
      pump.held = () => false;
      const r = await waiting;
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^✓ authors\/newbie\.md: published\n✓ articles\/by-newbie\.md: published\n2 published\n$/m);
    } finally {
      pump.held = () => false;
    }
  });

  it("no report in time: exit 2, naming the files", async () => {
    pump.paused = true;
    try {
      const dir = await folder("slow", { "articles/slow.md": article("Slow") });
      const r = await feedpub(["upload", "--bucket", CONTENT, "--content", dir, "--wait", "--timeout", "1"]);
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/^… articles\/slow\.md: no report of this upload after 1 s$/m);
      expect(r.stderr).toMatch(/No report after 1 s for 1 file: ingest may be slow or failing/);
    } finally {
      pump.paused = false;
    }
  });

  it("an older report of the same file does not count: --wait waits for the one naming these bytes", async () => {
    const dir = await folder("again", { "articles/again.md": article("Again, first") });
    expect((await feedpub(["upload", "--bucket", CONTENT, "--content", dir, "--wait"])).code).toBe(0);
    await writeFile(join(work, dir, "articles/again.md"), article("Again, second"));
    pump.paused = true;
    const waiting = feedpub(["upload", "--bucket", CONTENT, "--content", dir, "--wait", "--timeout", "20"]);
    await new Promise((r) => setTimeout(r, 1500));
    pump.paused = false;
    const r = await waiting;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✓ articles\/again\.md: updated$/m);
    expect(await h.contentText("_reports/articles/again.md.txt")).toBe(`articles/again.md: updated\nversion: ${sha256(article("Again, second"))}\n`);
  });
});

describe("feedpub status", () => {
  it("lists rejected, held, scheduled and draft files from the reports, grouped, with counts", async () => {
    const r = await feedpub(["status", "--bucket", CONTENT, "--prefix", "articles/"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe([
      "Rejected (the last accepted version, if any, stays published): 1",
      "  articles/2025/sample-ev-sales-report.md",
      '    articles/2025/sample-ev-sales-report.md: error in file name: the slug "sample-ev-sales-report" is already used by articles/2024/sample-ev-sales-report.md. Fix: rename this file (the slug is the file name), or delete articles/2024/sample-ev-sales-report.md: this file is published then, with no new upload',
      "Held (published when what they wait for arrives): 1",
      "  articles/who.md",
      '    articles/who.md: warning in author: waiting for author "casper". Fix: add authors/casper.md; this file is published then, with no new upload',
      "Scheduled: 1",
      `  articles/2026/later.md  ${LATER}`,
      "Drafts: 1",
      "  articles/2026/unfinished.md",
      "11 files reported: 7 published, 1 rejected, 1 held, 1 scheduled, 1 draft",
      "",
    ].join("\n"));
  });

  it("a scheduled article whose date has come counts as published; --prefix narrows", async () => {
    const r = await feedpub(["status", "--bucket", CONTENT, "--prefix", "articles/2026/"], new Date(CLOCK.getTime() + 60 * 86_400_000));
    expect(r.stdout).toBe("Drafts: 1\n  articles/2026/unfinished.md\n2 files reported: 1 published, 1 draft\n");
  });
});

describe("feedpub remove", () => {
  it("--dry-run lists what would go and removes nothing", async () => {
    const r = await feedpub(["remove", "articles/again.md", "--bucket", CONTENT, "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("would remove articles/again.md\n1 file to remove from s3://content-bucket (dry run: nothing removed)\n");
    expect(await hasReport("articles/again.md")).toBe(true);
  });

  it("unpublishes: deletes the file, and with --wait waits until ingest has removed its report", async () => {
    const r = await feedpub(["remove", "articles/again.md", "articles/2026/unfinished.md", "--bucket", CONTENT, "--wait"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✓ articles\/again\.md: removed\n✓ articles\/2026\/unfinished\.md: removed\n2 removed\n$/m);
    expect(await hasReport("articles/again.md")).toBe(false);
    expect((await h.store.getArticle("again"))?.article).toBeUndefined();
  });

  it("refuses site.yaml, keys outside the layout and keys not in the bucket, removing nothing", async () => {
    await h.s3.client.send(new PutObjectCommand({ Bucket: CONTENT, Key: "articles/keep.md", Body: article("Keep") }));
    for (const [keys, message] of [
      [["site.yaml"], /site\.yaml cannot be removed/],
      [["notes.txt"], /notes\.txt: not a content key/],
      [["articles/keep.md", "articles/nope.md"], /not in s3:\/\/content-bucket: articles\/nope\.md \(nothing removed\)/],
    ] as const) {
      const r = await feedpub(["remove", ...keys, "--bucket", CONTENT]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(await h.s3.client.send(new HeadObjectCommand({ Bucket: CONTENT, Key: "articles/keep.md" })).then(() => true)).toBe(true);
  });
});
