import { DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { MemoryReports } from "../../lambdas/adapters/memory-reports.js";
import { S3Reports } from "../../lambdas/adapters/s3-reports.js";
import type { ReportSink } from "../../lambdas/core/ports.js";

/** One contract for every `ReportSink`: a report replaces the previous one; removing it leaves none. */

const s3 = mockClient(S3Client);
/** The mocked bucket: object key to body. */
const bucket = new Map<string, string>();

beforeEach(() => {
  s3.reset();
  bucket.clear();
  s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => { bucket.set(input.Key, input.Body); return {}; });
  s3.on(DeleteObjectCommand).callsFake((input: { Key: string }) => { bucket.delete(input.Key); return {}; });
});

const sinks: [string, () => { sink: ReportSink; read(key: string): string | undefined }][] = [
  ["MemoryReports", () => { const sink = new MemoryReports(); return { sink, read: (key) => sink.reports.get(key) }; }],
  ["S3Reports", () => ({ sink: new S3Reports(new S3Client({ region: "us-east-1" }), "content"), read: (key) => bucket.get(S3Reports.keyOf(key)) })],
];

describe.each(sinks)("ReportSink contract: %s", (_name, make) => {
  it("put replaces a file's report; remove deletes it; other files keep theirs", async () => {
    const { sink, read } = make();
    await sink.put("articles/ev charging.md", "articles/ev charging.md: published\n");
    await sink.put("articles/ev charging.md", "articles/ev charging.md: updated\n");
    await sink.put("articles/other.md", "articles/other.md: rejected\n");
    expect(read("articles/ev charging.md")).toBe("articles/ev charging.md: updated\n");
    await sink.remove("articles/ev charging.md");
    expect(read("articles/ev charging.md")).toBeUndefined();
    expect(read("articles/other.md")).toBe("articles/other.md: rejected\n");
    await sink.remove("articles/never-reported.md");
  });
});

describe("S3Reports", () => {
  it("writes plain UTF-8 text under _reports/, where the stack lets ingest write", async () => {
    await new S3Reports(new S3Client({ region: "us-east-1" }), "content").put("articles/اردو.md", "x\n");
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: "content", Key: "_reports/articles/اردو.md.txt", Body: "x\n", ContentType: "text/plain; charset=utf-8" });
  });
});
