import type { HubNotifier, HubResult } from "../core/ports.js";

export interface HubCall {
  readonly hubs: readonly string[];
  readonly feedUrls: readonly string[];
}

/**
 * `HubNotifier` that records each ping, in order, instead of sending it. Hubs listed in
 * `failing` are reported as failed (as a hub still down after its retries would be).
 */
export class MemoryHubNotifier implements HubNotifier {
  readonly calls: HubCall[] = [];
  readonly failing = new Set<string>();

  async notify(hubs: readonly string[], feedUrls: readonly string[]): Promise<HubResult[]> {
    this.calls.push({ hubs: [...hubs], feedUrls: [...feedUrls] });
    return hubs.map((hub) => (this.failing.has(hub) ? { hub, ok: false, attempts: 1, error: "failing (memory hub)" } : { hub, ok: true, attempts: 1 }));
  }
}
