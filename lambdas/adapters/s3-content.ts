import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NoSuchKey, NotFound, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import type { ContentSource, SourceFile } from "../core/ports.js";

const isMissing = (err: unknown) =>
  err instanceof NoSuchKey || err instanceof NotFound || (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404);

/** `ContentSource` on the editors' content bucket. */
export class S3Content implements ContentSource {
  constructor(private readonly s3: S3Client, private readonly bucket: string) {
    if (!bucket) throw new Error("S3Content: bucket is required");
  }

  async read(key: string, maxBytes?: number): Promise<SourceFile | undefined> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      // The event's sequencer orders events; this is only a fallback stamp.
      const seq = String(r.LastModified?.getTime() ?? 0);
      const max = maxBytes ?? Number.MAX_SAFE_INTEGER;
      // Too large by its Content-Length: close the stream unread, so a 100 MB upload costs
      // a rejection, not its body in memory. (No ranged GET: S3 answers a range on an
      // empty object with 416, and some emulators with a broken 206.)
      if (r.ContentLength !== undefined && r.ContentLength > max) {
        destroy(r.Body);
        return { body: new Uint8Array(), seq, size: r.ContentLength };
      }
      // One byte past the limit tells an over-long body of unknown length from one that fits.
      const body = await readAtMost(r.Body, max === Number.MAX_SAFE_INTEGER ? max : max + 1);
      const size = r.ContentLength ?? body.length;
      return { body: body.length > max ? body.subarray(0, max) : body, seq, size: Math.max(size, body.length) };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const r = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) if (o.Key) yield o.Key;
      token = r.NextContinuationToken;
    } while (token);
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

function destroy(body: unknown): void {
  (body as { destroy?: () => void } | undefined)?.destroy?.();
}

/** The body's bytes, stopping at `max`: the stream is consumed chunk by chunk and destroyed at the limit. */
async function readAtMost(body: unknown, max: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  if (typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== "function") {
    const all = await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    return all.subarray(0, max);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    const take = Math.min(chunk.length, max - total);
    chunks.push(chunk.subarray(0, take));
    total += take;
    if (total >= max) break;
  }
  destroy(body);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
