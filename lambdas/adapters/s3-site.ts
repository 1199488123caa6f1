import { DeleteObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import type { SiteFile, SiteWriter } from "../core/ports.js";

/** Object metadata key holding the SHA-256 of the body (S3 ETags are not hashes under SSE-KMS or multipart). */
export const HASH_METADATA = "sha256";
const HEAD_CONCURRENCY = 16;

/** `SiteWriter` on the site bucket that CloudFront serves. */
export class S3Site implements SiteWriter {
  constructor(private readonly s3: S3Client, private readonly bucket: string) {
    if (!bucket) throw new Error("S3Site: bucket is required");
  }

  async hashes(paths: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < paths.length; i += HEAD_CONCURRENCY) {
      await Promise.all(paths.slice(i, i + HEAD_CONCURRENCY).map(async (path) => {
        try {
          const r = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: path }));
          const hash = r.Metadata?.[HASH_METADATA];
          if (hash) out.set(path, hash);
        } catch (err) {
          if (err instanceof NotFound || (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404)) return;
          throw err;
        }
      }));
    }
    return out;
  }

  async write(file: SiteFile, hash: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({
      Bucket: this.bucket,
      Key: file.path,
      Body: file.body,
      ContentType: file.contentType,
      CacheControl: file.cacheControl,
      Metadata: { [HASH_METADATA]: hash },
    }));
  }

  async remove(path: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: path }));
  }
}
