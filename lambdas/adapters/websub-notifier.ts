import type { HubNotifier } from "../core/ports.js";

/**
 * `HubNotifier` over HTTP: a WebSub publish ping (`hub.mode=publish`, `hub.url=<feed>`,
 * form-encoded POST) to each hub for each changed feed. A failing hub is reported, never
 * thrown: the feeds are already live, and readers still poll.
 */
export class WebSubNotifier implements HubNotifier {
  constructor(
    private readonly fetchFn: typeof fetch = fetch,
    private readonly timeoutMs = 5000,
    private readonly onError: (hub: string, err: unknown) => void = (hub, err) => console.warn(`WebSub ping to ${hub} failed: ${String(err)}`),
  ) {}

  async notify(hubs: readonly string[], feedUrls: readonly string[]): Promise<void> {
    await Promise.all(hubs.map(async (hub) => {
      const body = new URLSearchParams([["hub.mode", "publish"], ...feedUrls.map((u) => ["hub.url", u] as [string, string])]);
      try {
        const res = await this.fetchFn(hub, { method: "POST", body, signal: AbortSignal.timeout(this.timeoutMs) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
      } catch (err) {
        this.onError(hub, err);
      }
    }));
  }
}
