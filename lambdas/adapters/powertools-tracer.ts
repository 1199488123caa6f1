import { createRequire } from "node:module";
import type { Tracer } from "@aws-lambda-powertools/tracer";

/**
 * Loads Powertools Tracer without bundling it. The X-Ray SDK under it adds ~125 KB that
 * would take the ingest bundle past its 500 KB budget, so the bundles leave
 * `@aws-lambda-powertools/tracer` and `aws-xray-sdk-core` external
 * (lib/lambda-bundling.ts) and both functions get the Powertools Lambda layer, which
 * unpacks them under `/opt/nodejs/node_modules`.
 *
 * Loaded with `require` (its CommonJS build), not `import`: Node's CommonJS resolution
 * searches the folders of NODE_PATH, where Lambda lists `/opt/nodejs/node_modules`; ES
 * module resolution never does in Node itself (only the Lambda runtime adds that, which
 * nothing off Lambda can reproduce). From source (tests, tsx) the same call finds the
 * package in node_modules. test/lambdas/layer.test.ts runs the bundles with the package
 * only under a stand-in for `/opt` on NODE_PATH.
 *
 * Where the package is found nowhere (a bundle run without the layer), the handlers run
 * untraced: `undefined`, and the reason is returned for the caller to log once.
 */
export type TracerModule = typeof import("@aws-lambda-powertools/tracer");

export const TRACER_PACKAGE = "@aws-lambda-powertools/tracer";

export function loadTracer(options?: ConstructorParameters<typeof Tracer>[0]): { tracer: Tracer } | { tracer: undefined; reason: string } {
  let mod: TracerModule;
  try {
    mod = createRequire(import.meta.url)(TRACER_PACKAGE) as TracerModule;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw err;
    return { tracer: undefined, reason: `${TRACER_PACKAGE} not found (no Powertools layer?): ${(err as Error).message.split("\n")[0]}` };
  }
  return { tracer: new mod.Tracer(options) };
}
