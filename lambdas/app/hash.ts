import { createHash } from "node:crypto";

/** SHA-256 hex. Its own module so the publish bundle does not pull in the content parsers. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}
