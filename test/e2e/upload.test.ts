import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { appendFile, cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { run } from "../../bin/feedpub.js";
import { startS3, type LocalS3 } from "../support/emulators.js";

/** `feedpub upload` against s3rver: validate, then only new or changed files, in order. The CLI runs in process. */

const BUCKET = "editor-content";

let s3: LocalS3;
let work: string;

async function feedpub(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await run(["upload", "--bucket", BUCKET, "--content", join(work, "content"), "--endpoint", s3.endpoint, ...args], {
    stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, env: { NO_COLOR: "1" }, cwd: work,
  });
  return { code, stdout, stderr };
}

async function bucketKeys(): Promise<string[]> {
  const r = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

beforeAll(async () => {
  // The CLI's S3 client takes its credentials from the SDK's default chain, as on an editor's machine.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
  vi.stubEnv("AWS_REGION", "us-east-1");
  s3 = await startS3([BUCKET]);
  work = await mkdtemp(join(tmpdir(), "feedpub-upload-"));
  await cp(new URL("../../content", import.meta.url).pathname, join(work, "content"), { recursive: true });
});
afterAll(async () => {
  vi.unstubAllEnvs();
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
