import { CreateInvalidationCommand, waitUntilInvalidationCompleted, type CloudFrontClient } from "@aws-sdk/client-cloudfront";
import type { Invalidator } from "../core/ports.js";


export interface CloudFrontInvalidatorOptions {
  /**
   * Above this many changed paths, invalidate `/*` instead. CloudFront bills each path
   * after the first 1,000 a month ($0.005 each) and a wildcard counts as one: a typical
   * publish changes ~15 files, so exact paths would cost ~15x more. @default 5
   */
  readonly maxExactPaths?: number;
  /**
   * Wait until the invalidation completes, so that WebSub hubs pinged afterwards fetch
   * the new bytes. @default 240 (seconds); 0 does not wait.
   */
  readonly maxWaitSeconds?: number;
  /**
   * Shortest and longest pause between two GetInvalidation polls while waiting; the
   * waiter backs off between them. Tests shorten them; an invalidation takes tens of
   * seconds, so polling faster than every 5 s only adds requests. @default { min: 5, max: 20 } (seconds)
   */
  readonly pollDelaySeconds?: { readonly min: number; readonly max: number };
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
    const items = paths.length > (this.options.maxExactPaths ?? 5) ? ["/*"] : paths.map((p) => p.split("/").map(encodeURIComponent).join("/"));
    const r = await this.cloudfront.send(new CreateInvalidationCommand({
      DistributionId: this.distributionId,
      InvalidationBatch: { CallerReference: reference, Paths: { Quantity: items.length, Items: items } },
    }));
    const maxWaitTime = this.options.maxWaitSeconds ?? 240;
    const id = r.Invalidation?.Id;
    if (!id || maxWaitTime <= 0) return;
    try {
      const { min, max } = this.options.pollDelaySeconds ?? { min: 5, max: 20 };
      await waitUntilInvalidationCompleted({ client: this.cloudfront, maxWaitTime, minDelay: min, maxDelay: max }, { DistributionId: this.distributionId, Id: id });
    } catch (err) {
      // The files are written and the invalidation runs; only the hubs may fetch early.
      (this.options.log ?? console.warn)(`CloudFront invalidation ${id} not complete after ${maxWaitTime} s: ${String(err)}`);
    }
  }
}
