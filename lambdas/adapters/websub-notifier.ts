import type { HubNotifier } from "../core/ports.js";

/**
 * `HubNotifier` over HTTP: a WebSub publish ping (form-encoded POST of `hub.mode=publish`
 * and one `hub.url` per changed feed) to each hub. A hub that fails or answers an error
 * is retried with backoff; one that still fails is reported, never thrown: the feeds are
 * already live, and readers still poll.
 */
export interface WebSubNotifierOptions {
  readonly fetch?: typeof fetch;
  /** Per request. @default 5000 */
  readonly timeoutMs?: number;
  /** Delays before each retry. @default [1000, 4000] */
  readonly retryDelaysMs?: readonly number[];
  readonly log?: (message: string) => void;
}

export class WebSubNotifier implements HubNotifier {
  constructor(private readonly options: WebSubNotifierOptions = {}) {}

  async notify(hubs: readonly string[], feedUrls: readonly string[]): Promise<void> {
    const { fetch: fetchFn = fetch, timeoutMs = 5000, retryDelaysMs = [1000, 4000], log = console.warn } = this.options;
    await Promise.all(hubs.map(async (hub) => {
      const body = new URLSearchParams([["hub.mode", "publish"], ...feedUrls.map((u) => ["hub.url", u] as [string, string])]).toString();
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await fetchFn(hub, {
            method: "POST",
            headers: { "Content-Type": "application/x-www-form-urlencoded" },
            body,
            signal: AbortSignal.timeout(timeoutMs),
          });
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) return;
          throw new Error(`HTTP ${res.status}`);
        } catch (err) {
          const delay = retryDelaysMs[attempt];
          if (delay === undefined) {
            log(`WebSub ping to ${hub} failed after ${attempt + 1} attempts: ${(err as Error).message}`);
            return;
          }
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    }));
  }
}
