import type { HubNotifier } from "../core/ports.js";

export interface HubCall {
  readonly hubs: readonly string[];
  readonly feedUrls: readonly string[];
}

/** `HubNotifier` that records each ping, in order, instead of sending it. */
export class MemoryHubNotifier implements HubNotifier {
  readonly calls: HubCall[] = [];

  async notify(hubs: readonly string[], feedUrls: readonly string[]): Promise<void> {
    this.calls.push({ hubs: [...hubs], feedUrls: [...feedUrls] });
  }
}
