import { ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SingleBar, Presets } from "cli-progress";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ARTICLES_PREFIX, AUTHORS_PREFIX, contentRank, SITE_KEY } from "../lambdas/contracts/content-keys.js";

/**
 * The editor's upload: after local validation, send only new or changed files to the
 * content bucket, site settings first, then authors, then articles, so that each
 * article's author exists when its event is ingested.
 */

export interface UploadPlanItem {
  readonly key: string;
  readonly status: "new" | "changed";
}

export interface UploadPlan {
  readonly upload: readonly UploadPlanItem[];
  readonly unchanged: number;
}

/** MD5 hex: S3's ETag of an object uploaded in one PUT (SSE-S3). */
async function md5Of(path: string): Promise<string> {
  return createHash("md5").update(await readFile(path)).digest("hex");
}

/** Listed by the content prefixes, not the whole bucket: the editor policy allows listing only those. */
async function remoteEtags(s3: S3Client, bucket: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const prefix of [SITE_KEY, AUTHORS_PREFIX, ARTICLES_PREFIX]) {
    let token: string | undefined;
    do {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) if (o.Key) out.set(o.Key, (o.ETag ?? "").replace(/"/g, ""));
      token = r.NextContinuationToken;
    } while (token);
  }
  return out;
}

export async function planUpload(s3: S3Client, bucket: string, contentDir: string, keys: readonly string[]): Promise<UploadPlan> {
  const remote = await remoteEtags(s3, bucket);
  const upload: UploadPlanItem[] = [];
  let unchanged = 0;
  const ordered = [...keys].sort((a, b) => contentRank(a) - contentRank(b) || a.localeCompare(b));
  for (const key of ordered) {
    const etag = remote.get(key);
    if (etag === undefined) upload.push({ key, status: "new" });
    else if (etag !== (await md5Of(join(contentDir, key)))) upload.push({ key, status: "changed" });
    else unchanged++;
  }
  return { upload, unchanged };
}

/** `progress`: a bar (on a terminal), or a function that prints one line per file uploaded. */
export async function runUpload(s3: S3Client, bucket: string, contentDir: string, plan: UploadPlan, progress: "bar" | ((line: string) => void)): Promise<void> {
  const bar = progress === "bar" && plan.upload.length > 1 ? new SingleBar({ format: "Uploading {bar} {value}/{total} {key}", hideCursor: true }, Presets.shades_classic) : undefined;
  bar?.start(plan.upload.length, 0, { key: "" });
  for (const item of plan.upload) {
    await s3.send(new PutObjectCommand({
      Bucket: bucket,
      Key: item.key,
      Body: await readFile(join(contentDir, item.key)),
      ContentType: item.key.endsWith(".md") ? "text/markdown; charset=utf-8" : "application/yaml; charset=utf-8",
    }));
    if (bar) bar.increment(1, { key: item.key });
    else if (progress !== "bar") progress(`uploaded ${item.key} (${item.status})`);
  }
  bar?.stop();
}
