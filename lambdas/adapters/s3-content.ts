import { GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
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
      // A ranged GET returns at most `maxBytes` bytes and the full size in Content-Range,
      // so an oversized object costs one small read, never its whole body in memory.
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(maxBytes !== undefined ? { Range: `bytes=0-${maxBytes - 1}` } : {}) }));
      const size = sizeOf(r.ContentRange, r.ContentLength);
      const body = await readAtMost(r.Body, maxBytes ?? Number.MAX_SAFE_INTEGER);
      // The event's sequencer orders events; this is only a fallback stamp.
      return { body, seq: String(r.LastModified?.getTime() ?? 0), ...(size !== undefined ? { size } : {}) };
    } catch (err) {
      if (isMissing(err)) return undefined;
      // An empty object cannot satisfy a range ("InvalidRange", 416): it is a zero-byte file.
      if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 416) return this.read(key);
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

/** The object's full size: from `Content-Range: bytes 0-99/12345` of a ranged GET, else the length. */
function sizeOf(contentRange: string | undefined, contentLength: number | undefined): number | undefined {
  const total = contentRange ? /\/(\d+)$/.exec(contentRange)?.[1] : undefined;
  return total !== undefined ? Number(total) : contentLength;
}

/**
 * The body's bytes, stopping at `max` even if the server ignored the range (some S3
 * emulators do): the stream is consumed chunk by chunk and destroyed at the limit.
 */
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
  (body as { destroy?: () => void }).destroy?.();
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
