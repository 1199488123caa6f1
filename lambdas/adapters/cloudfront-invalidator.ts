import { CreateInvalidationCommand, waitUntilInvalidationCompleted, type CloudFrontClient } from "@aws-sdk/client-cloudfront";
import type { Invalidator } from "../core/ports.js";

/** CloudFront allows 3,000 paths per invalidation; past that one wildcard is cheaper. */
const MAX_PATHS = 3000;

export interface CloudFrontInvalidatorOptions {
  /**
   * Wait until the invalidation completes, so that WebSub hubs pinged afterwards fetch
   * the new bytes. @default 240 (seconds); 0 does not wait.
   */
  readonly maxWaitSeconds?: number;
  readonly log?: (message: string) => void;
}

/** `Invalidator` for one CloudFront distribution: one invalidation of exactly the changed paths. */
export class CloudFrontInvalidator implements Invalidator {
  constructor(
    private readonly cloudfront: CloudFrontClient,
    private readonly distributionId: string,
    private readonly options: CloudFrontInvalidatorOptions = {},
  ) {
    if (!distributionId) throw new Error("CloudFrontInvalidator: distributionId is required");
  }

  async invalidate(paths: readonly string[], reference: string): Promise<void> {
    if (paths.length === 0) return;
    const items = paths.length > MAX_PATHS ? ["/*"] : paths.map((p) => p.split("/").map(encodeURIComponent).join("/"));
    const r = await this.cloudfront.send(new CreateInvalidationCommand({
      DistributionId: this.distributionId,
      InvalidationBatch: { CallerReference: reference, Paths: { Quantity: items.length, Items: items } },
    }));
    const maxWaitTime = this.options.maxWaitSeconds ?? 240;
    const id = r.Invalidation?.Id;
    if (!id || maxWaitTime <= 0) return;
    try {
      await waitUntilInvalidationCompleted({ client: this.cloudfront, maxWaitTime, minDelay: 5, maxDelay: 20 }, { DistributionId: this.distributionId, Id: id });
    } catch (err) {
      // The files are written and the invalidation runs; only the hubs may fetch early.
      (this.options.log ?? console.warn)(`CloudFront invalidation ${id} not complete after ${maxWaitTime} s: ${String(err)}`);
    }
  }
}
