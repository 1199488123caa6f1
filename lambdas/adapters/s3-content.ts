import { GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import type { ContentSource } from "../core/ports.js";

const isMissing = (err: unknown) =>
  err instanceof NoSuchKey || err instanceof NotFound || (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404);

/** `ContentSource` on the editors' content bucket. */
export class S3Content implements ContentSource {
  constructor(private readonly s3: S3Client, private readonly bucket: string) {
    if (!bucket) throw new Error("S3Content: bucket is required");
  }

  async read(key: string): Promise<{ body: Uint8Array; seq: string } | undefined> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = await r.Body!.transformToByteArray();
      // The event's sequencer orders events; this is only a fallback stamp.
      return { body, seq: String(r.LastModified?.getTime() ?? 0) };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }
}
