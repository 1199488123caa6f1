import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { execFile } from "node:child_process";
import { appendFile, cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3, type LocalS3 } from "../support/emulators.js";

/** `feedpub upload` against s3rver: validate, then only new or changed files, in order. */

const run = promisify(execFile);
const CLI = new URL("../../bin/feedpub.ts", import.meta.url).pathname;
const TSX = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;
const BUCKET = "editor-content";

let s3: LocalS3;
let work: string;

async function feedpub(args: string[]) {
  const env = { ...process.env, NO_COLOR: "1", AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" };
  try {
    const r = await run(process.execPath, ["--import", TSX, CLI, "upload", "--bucket", BUCKET, "--content", join(work, "content"), "--endpoint", s3.endpoint, ...args], { env });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function bucketKeys(): Promise<string[]> {
  const r = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  work = await mkdtemp(join(tmpdir(), "feedpub-upload-"));
  await cp(new URL("../../content", import.meta.url).pathname, join(work, "content"), { recursive: true });
});
afterAll(async () => {
  await s3?.close();
  await rm(work, { recursive: true, force: true });
});

describe("feedpub upload", () => {
  it("--dry-run lists every file, site settings first, and uploads nothing", async () => {
    const r = await feedpub(["--dry-run"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("would upload site.yaml (new)");
    expect(lines[1]).toMatch(/^would upload authors\//);
    expect(lines.at(-1)).toBe("7 files to upload, 0 unchanged (dry run: nothing uploaded)");
    expect(await bucketKeys()).toEqual([]);
  });

  it("uploads everything once, then only what changed; a rejected file is reported and not uploaded", async () => {
    const first = await feedpub([]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/7 files uploaded to s3:\/\/editor-content, 0 unchanged/);
    expect(await bucketKeys()).toHaveLength(7);

    await appendFile(join(work, "content/articles/2024/sample-ev-sales-report.md"), "\nOne more line.\n");
    await writeFile(join(work, "content/articles/broken.md"), "---\ntitle: Broken\n---\n");
    const second = await feedpub([]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/articles\/broken\.md: error in author: is missing/);
    expect(second.stdout).toMatch(/uploaded articles\/2024\/sample-ev-sales-report\.md \(changed\)\n1 file uploaded to s3:\/\/editor-content, 6 unchanged/);
    expect(await bucketKeys()).not.toContain("articles/broken.md");
    const body = await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "articles/2024/sample-ev-sales-report.md" }))).Body!.transformToString();
    expect(body).toMatch(/One more line\.\n$/);
  });
});
