import type { Invalidator } from "../core/ports.js";

export interface InvalidationCall {
  readonly paths: readonly string[];
  readonly reference: string;
}

/** `Invalidator` that records each request, in order; CloudFront itself is not imitated. */
export class MemoryInvalidator implements Invalidator {
  readonly calls: InvalidationCall[] = [];

  async invalidate(paths: readonly string[], reference: string): Promise<void> {
    this.calls.push({ paths: [...paths], reference });
  }
}
