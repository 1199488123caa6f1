import { CreateInvalidationCommand, type CloudFrontClient } from "@aws-sdk/client-cloudfront";
import type { Invalidator } from "../core/ports.js";

/** CloudFront allows 3,000 paths per invalidation; past that one wildcard is cheaper. */
const MAX_PATHS = 3000;

/** `Invalidator` for one CloudFront distribution: one invalidation of exactly the changed paths. */
export class CloudFrontInvalidator implements Invalidator {
  constructor(private readonly cloudfront: CloudFrontClient, private readonly distributionId: string) {
    if (!distributionId) throw new Error("CloudFrontInvalidator: distributionId is required");
  }

  async invalidate(paths: readonly string[], reference: string): Promise<void> {
    if (paths.length === 0) return;
    const items = paths.length > MAX_PATHS ? ["/*"] : paths.map((p) => p.split("/").map(encodeURIComponent).join("/"));
    await this.cloudfront.send(new CreateInvalidationCommand({
      DistributionId: this.distributionId,
      InvalidationBatch: { CallerReference: reference, Paths: { Quantity: items.length, Items: items } },
    }));
  }
}
