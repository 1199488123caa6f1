import type { HubNotifier, HubResult } from "../core/ports.js";

export type { HubResult } from "../core/ports.js";

/**
 * `HubNotifier` over HTTP: a WebSub publish ping (form-encoded POST of `hub.mode=publish`
 * and one `hub.url` per changed feed) to each hub. A hub that fails, answers an error or
 * does not answer in time is retried with backoff; one that still fails is logged and
 * reported in the result, never thrown: the feeds are already live, and readers still poll.
 */
export interface WebSubNotifierOptions {
  readonly fetch?: typeof fetch;
  /** Per request, the answer's body included. @default 5000 */
  readonly timeoutMs?: number;
  /** Delays before each retry. @default [1000, 4000] */
  readonly retryDelaysMs?: readonly number[];
  readonly log?: (message: string) => void;
}

/**
 * Bytes of a hub's answer read at most; the rest is cancelled unread. A hub owes us no
 * body (204 is usual), and one that streams without end must cost neither memory nor time.
 */
export const MAX_HUB_RESPONSE_BYTES = 4096;

export class WebSubNotifier implements HubNotifier {
  constructor(private readonly options: WebSubNotifierOptions = {}) {}

  /** Pings every hub at once; resolves with how each hub's ping ended. Never rejects. */
  async notify(hubs: readonly string[], feedUrls: readonly string[]): Promise<HubResult[]> {
    const { fetch: fetchFn = fetch, timeoutMs = 5000, retryDelaysMs = [1000, 4000], log = console.warn } = this.options;
    const body = new URLSearchParams([["hub.mode", "publish"], ...feedUrls.map((u) => ["hub.url", u] as [string, string])]).toString();
    return Promise.all(hubs.map(async (hub): Promise<HubResult> => {
      for (let attempt = 1; ; attempt++) {
        try {
          // One deadline for the request and the answer: a body that trickles forever times out.
          const signal = AbortSignal.timeout(timeoutMs);
          const res = await fetchFn(hub, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body, signal });
          const text = await readSome(res, MAX_HUB_RESPONSE_BYTES);
          if (res.ok) return { hub, ok: true, attempts: attempt };
          throw new Error(`HTTP ${res.status}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ""}`);
        } catch (err) {
          const delay = retryDelaysMs[attempt - 1];
          const error = describe(err, timeoutMs);
          if (delay === undefined) {
            log(`WebSub ping to ${hub} failed after ${attempt} attempts: ${error}`);
            return { hub, ok: false, attempts: attempt, error };
          }
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    }));
  }
}

/** At most `max` bytes of the body as text; the rest of the body is cancelled (the connection closes). */
async function readSome(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, max).toString("utf8");
}

function describe(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return `no complete answer within ${timeoutMs} ms`;
  return err instanceof Error ? err.message : String(err);
}
