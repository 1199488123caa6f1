import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { REPORT_PREFIX } from "../contracts/env.js";
import type { ReportSink } from "../core/ports.js";

/** `ReportSink` in the content bucket: the report of `articles/x.md` is `_reports/articles/x.md.txt`. */
export class S3Reports implements ReportSink {
  constructor(private readonly s3: S3Client, private readonly bucket: string) {
    if (!bucket) throw new Error("S3Reports: bucket is required");
  }

  /** The object key of a content key's report; the stack lets ingest write only under this prefix. */
  static keyOf(key: string): string {
    return `${REPORT_PREFIX}${key}.txt`;
  }

  async put(key: string, text: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: S3Reports.keyOf(key), Body: text, ContentType: "text/plain; charset=utf-8" }));
  }

  async remove(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: S3Reports.keyOf(key) }));
  }
}
