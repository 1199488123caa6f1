import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import type { Problem } from "../../lambdas/core/model.js";
import { HOSTILE_ARTICLES, HOSTILE_AUTHORS, HOSTILE_SITES } from "../support/hostile-inputs.js";

/**
 * Every oversized or pathological input through the real `ingest()` in a Worker with a
 * 128 MB heap (half of the ingest Lambda's 256 MB): each completes with a rejection or
 * a safe publish; none runs out of memory or throws. At 4fbe7cf a 1 MB Markdown table
 * needed 662 MB and a 100 MB body 1.07 GB.
 */

interface Result { name: string; outcome?: string; problems?: Problem[]; threw?: string; ms?: number }

function runWorker(): Promise<{ results: Result[]; peakHeapMB: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("../support/tsx-worker.mjs", import.meta.url), {
      workerData: { tsModule: new URL("../support/hostile-ingest-worker.ts", import.meta.url).href },
      resourceLimits: { maxOldGenerationSizeMb: 128 },
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    const results: Result[] = [];
    let peakHeapMB = -1;
    worker.on("message", (m: Result & { done?: boolean; peakHeapMB?: number }) => {
      if (m.done) peakHeapMB = m.peakHeapMB ?? -1;
      else results.push(m);
    });
    // ERR_WORKER_OUT_OF_MEMORY arrives here.
    worker.on("error", reject);
    worker.on("exit", (code) => (code === 0 && peakHeapMB >= 0 ? resolve({ results, peakHeapMB }) : reject(new Error(`worker exited with ${code} after ${results.length} inputs`))));
  });
}

describe("ingest of hostile input within a 128 MB heap", () => {
  it("rejects or safely publishes every input, then still publishes a normal article", { timeout: 240_000 }, async () => {
    const { results, peakHeapMB } = await runWorker();
    const inputs = [...HOSTILE_SITES, ...HOSTILE_AUTHORS, ...HOSTILE_ARTICLES];
    expect(results).toHaveLength(inputs.length + 1);
    for (const [i, input] of inputs.entries()) {
      const r = results[i]!;
      expect(r.name).toBe(input.name);
      expect(r.threw, `${input.name} threw`).toBeUndefined();
      const want = input.ingest ?? input.expect;
      expect(r.outcome, `${input.name}: ${JSON.stringify(r.problems).slice(0, 300)}`).toBe(want.outcome);
      if (want.outcome === "rejected") {
        const p = r.problems!.find((x) => x.field === want.field);
        expect(p, `${input.name}: ${JSON.stringify(r.problems).slice(0, 300)}`).toBeDefined();
        expect(p!.message).toMatch(want.message);
      }
    }
    expect(results.at(-1)).toMatchObject({ outcome: "published", problems: [] });
    console.log(`hostile ingest: peak heap ${peakHeapMB} MB; slowest ${results.reduce((a, b) => ((b.ms ?? 0) > (a.ms ?? 0) ? b : a)).name}`);
    expect(peakHeapMB).toBeLessThan(128);
  });
});
