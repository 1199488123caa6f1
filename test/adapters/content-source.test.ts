import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { mkdir, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { DirectoryContent } from "../../lambdas/adapters/directory-content.js";
import { MemoryContentSource } from "../../lambdas/adapters/memory-content-source.js";
import { S3Content } from "../../lambdas/adapters/s3-content.js";
import { startS3, type LocalS3 } from "../support/emulators.js";
import { describeContentSource } from "./contract/content-source.contract.js";

/** The ContentSource contract against memory, S3 (s3rver) and a directory. */

let s3: LocalS3;
let work: string;
let n = 0;

beforeAll(async () => {
  [s3, work] = await Promise.all([startS3([]), mkdtemp(join(tmpdir(), "feedpub-content-source-"))]);
});
afterAll(async () => {
  await s3?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describeContentSource("MemoryContentSource", async () => {
  const source = new MemoryContentSource();
  return { source, put: async (key, body) => source.put(key, body), remove: async (key) => source.delete(key) };
});

describeContentSource("S3Content on s3rver", async () => {
  const bucket = `content-${++n}`;
  await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    source: new S3Content(s3.client, bucket),
    put: async (key, body) => { await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })); },
    remove: async (key) => { await s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })); },
  };
});

describeContentSource("DirectoryContent", async () => {
  const root = join(work, `content-${++n}`);
  return {
    source: new DirectoryContent(root),
    put: async (key, body) => {
      await mkdir(dirname(join(root, key)), { recursive: true });
      await writeFile(join(root, key), body);
    },
    remove: async (key) => { await unlink(join(root, key)); },
  };
});
