import { build, type Metafile, type Plugin } from "esbuild";
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { lambdaBuildOptions } from "../lib/lambda-bundling.js";

const run = promisify(execFile);
export const BUNDLE_TARGET_BYTES = 500 * 1024;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * What the handlers had before Powertools, for comparison: Logger and Metrics replaced by
 * a few lines that write one JSON line with `console.log` (no EMF envelope, no context),
 * and no Tracer (its loader answers "not found", as where the layer is absent). Same
 * calls, so the handlers bundle and run unchanged.
 */
const WITHOUT_POWERTOOLS: Plugin = {
  name: "without-powertools",
  setup(b) {
    b.onResolve({ filter: /^@aws-lambda-powertools\/(logger|metrics)$|\/powertools-tracer\.js$/ }, (a) => ({ path: a.path, namespace: "no-powertools" }));
    b.onLoad({ filter: /.*/, namespace: "no-powertools" }, (a) => ({
      loader: "js",
      contents: a.path.endsWith("logger")
        ? `const line = (level) => function (message, fields) { console.log(JSON.stringify({ level, message, ...this.keys, ...fields })); };
export class Logger { keys = {}; addContext() {} appendKeys(k) { Object.assign(this.keys, k); } removeKeys(ks) { for (const k of ks) delete this.keys[k]; } }
Logger.prototype.info = line("INFO"); Logger.prototype.warn = line("WARN"); Logger.prototype.error = line("ERROR");`
        : a.path.endsWith("metrics")
          ? `export const MetricUnit = { Count: "Count", Milliseconds: "Milliseconds" };
export class Metrics { stored = {}; addMetric(name, _unit, value) { this.stored[name] = value; } captureColdStartMetric() {}
  hasStoredMetrics() { return Object.keys(this.stored).length > 0; } publishStoredMetrics() { console.log(JSON.stringify(this.stored)); this.stored = {}; } }`
          : `export const loadTracer = () => ({ tracer: undefined, reason: "no Powertools" });`,
    }));
  },
};

/** The Lambdas' esbuild options (lib/lambda-bundling.ts), with the SDK left to the Lambda runtime or, for comparison, bundled too. */
export async function bundle(entry: string, outfile: string, sdkExternal: boolean, powertools = true) {
  const { external, mainFields, ...options } = lambdaBuildOptions();
  const r = await build({
    ...options, entryPoints: [entry], outfile, metafile: true, logLevel: "silent",
    ...(sdkExternal ? { external: [...external], mainFields: [...mainFields] } : {}),
    ...(powertools ? {} : { plugins: [WITHOUT_POWERTOOLS] }),
  });
  return { bytes: (await stat(outfile)).size, metafile: r.metafile };
}

/** The biggest inputs of a bundle (bytes they contribute after minification), by file and by package. */
function biggest(metafile: Metafile, outfile: string, n = 5) {
  const out = Object.entries(metafile.outputs).find(([k]) => outfile.endsWith(k.replace(/^.*\//, "")))?.[1] ?? Object.values(metafile.outputs)[0]!;
  const files = Object.entries(out.inputs).map(([path, v]) => ({ path: path.replace(/^.*node_modules\//, "node_modules/"), bytes: v.bytesInOutput }));
  const byPackage = new Map<string, number>();
  for (const f of files) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.path);
    const pkg = m ? m[1]! : "(our code)";
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + f.bytes);
  }
  return {
    topFiles: files.sort((a, b) => b.bytes - a.bytes).slice(0, n),
    topPackages: [...byPackage].map(([pkg, bytes]) => ({ pkg, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, n),
  };
}

/**
 * Cold module initialisation in a fresh node: `importMs` is the dynamic import alone,
 * `sinceStartMs` the time from process start (performance.timeOrigin) to the import resolved.
 */
async function initTime(file: string, runs = 5) {
  const code = `const t=performance.now(); await import(${JSON.stringify(`file://${file}`)}); const e=performance.now(); console.log(JSON.stringify({importMs:e-t,sinceStartMs:e}))`;
  const xs: { importMs: number; sinceStartMs: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", code], { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } });
    xs.push(JSON.parse(stdout.trim().split("\n").pop()!) as { importMs: number; sinceStartMs: number });
  }
  return { importMs: round(median(xs.map((x) => x.importMs))), sinceStartMs: round(median(xs.map((x) => x.sinceStartMs))) };
}

/** A first invocation of each handler: an event that makes it build its clients and telemetry, then fail at its first AWS call. */
const FIRST_EVENT: Record<"ingest" | "publish", unknown> = {
  ingest: { Records: [{ eventName: "ObjectCreated:Put", s3: { bucket: { name: "content" }, object: { key: "articles/bench.md", size: 10, sequencer: "01" } } }] },
  publish: { Records: [{ eventID: "1", eventName: "INSERT", dynamodb: { Keys: { pk: { S: "DIRTY" } }, SequenceNumber: "1" } }] },
};

/**
 * A Lambda cold start as far as it is ours, in a fresh node: `importMs` the module's
 * initialisation (what Lambda's Init phase runs), `firstInvokeMs` that plus the first
 * invocation up to its first AWS call (where the handler builds its SDK clients, Logger
 * and Metrics, and publishes the ColdStart metric). The AWS endpoint is a closed local
 * port, one attempt, fake credentials: the call fails at once and the time is the code's.
 */
async function coldStart(file: string, event: unknown) {
  const code = `const t=performance.now(); const m=await import(${JSON.stringify(`file://${file}`)}); const i=performance.now();
await m.handler(${JSON.stringify(event)}).catch(() => undefined); const e=performance.now();
process.stdout.write("\\nBENCH " + JSON.stringify({importMs:i-t,firstInvokeMs:e-t}) + "\\n")`;
  const env = {
    ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench",
    AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_MAX_ATTEMPTS: "1", TABLE_NAME: "t", CONTENT_BUCKET: "c", SITE_BUCKET: "s", DISTRIBUTION_ID: "E1",
    POWERTOOLS_SERVICE_NAME: "bench", POWERTOOLS_METRICS_NAMESPACE: "feedpub",
  };
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", code], { env, maxBuffer: 16 * 1024 * 1024 });
  const line = stdout.split("\n").find((l) => l.startsWith("BENCH "));
  if (!line) throw new Error(`cold start of ${file}: no result; stdout ${stdout.slice(0, 500)}`);
  return JSON.parse(line.slice(6)) as { importMs: number; firstInvokeMs: number };
}

/**
 * What Powertools Logger, Metrics and Tracer add to each deployed bundle (SDK, Tracer and
 * the X-Ray SDK external): bytes of the bundle (Tracer's are in the layer, not in it),
 * and cold start with and without them (with: Tracer and the X-Ray SDK loaded from
 * node_modules, as from the layer on Lambda; tracing itself is off off Lambda), runs interleaved (with, without, with, ...) so
 * a machine that slows down mid-run slows both alike; medians.
 */
export async function powertoolsCost(root: string, dir: string, runs = Number(process.env.BENCH_COLD_RUNS ?? 9)) {
  const out: Record<string, PowertoolsCost> = {};
  for (const name of ["ingest", "publish"] as const) {
    const entry = join(root, `lambdas/${name}.ts`);
    const withFile = join(dir, `${name}-powertools.mjs`);
    const withoutFile = join(dir, `${name}-no-powertools.mjs`);
    const withB = await bundle(entry, withFile, true, true);
    const withoutB = await bundle(entry, withoutFile, true, false);
    const xs: { with: { importMs: number; firstInvokeMs: number }[]; without: { importMs: number; firstInvokeMs: number }[] } = { with: [], without: [] };
    for (let i = 0; i < runs; i++) {
      xs.with.push(await coldStart(withFile, FIRST_EVENT[name]));
      xs.without.push(await coldStart(withoutFile, FIRST_EVENT[name]));
    }
    const med = (v: { importMs: number; firstInvokeMs: number }[]) => ({ importMs: round(median(v.map((x) => x.importMs))), firstInvokeMs: round(median(v.map((x) => x.firstInvokeMs))) });
    const w = med(xs.with);
    const wo = med(xs.without);
    // The fastest run of each: on a loaded machine, the least disturbed measure of the code's own cost.
    const best = (v: { importMs: number; firstInvokeMs: number }[]) => ({ importMs: round(Math.min(...v.map((x) => x.importMs))), firstInvokeMs: round(Math.min(...v.map((x) => x.firstInvokeMs))) });
    out[name] = {
      runs, withBytes: withB.bytes, withoutBytes: withoutB.bytes, addedBytes: withB.bytes - withoutB.bytes,
      with: w, without: wo, fastest: { with: best(xs.with), without: best(xs.without) }, addedImportMs: round(w.importMs - wo.importMs), addedFirstInvokeMs: round(w.firstInvokeMs - wo.firstInvokeMs),
    };
  }
  return out as Record<"ingest" | "publish", PowertoolsCost>;
}

export interface PowertoolsCost {
  runs: number;
  withBytes: number;
  withoutBytes: number;
  addedBytes: number;
  with: { importMs: number; firstInvokeMs: number };
  without: { importMs: number; firstInvokeMs: number };
  fastest: { with: { importMs: number; firstInvokeMs: number }; without: { importMs: number; firstInvokeMs: number } };
  addedImportMs: number;
  addedFirstInvokeMs: number;
}

/** The Powertools comparison as lines of text (`npm run bench` and `npx tsx bench/bundles.ts`). */
export function powertoolsLines(p: Record<"ingest" | "publish", PowertoolsCost>): string[] {
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  const lines = [`What Powertools Logger, Metrics and Tracer add (deployed bundles, @aws-sdk/*, Tracer and the X-Ray SDK external, Tracer loaded from node_modules as from the layer; cold start in a fresh node, median of ${p.ingest.runs} interleaved runs; "first invoke" = import + the first invocation up to its first AWS call):`];
  for (const [name, c] of Object.entries(p)) {
    lines.push(`  ${name}: ${kb(c.withoutBytes)} -> ${kb(c.withBytes)} (+${kb(c.addedBytes)}); import ${c.without.importMs} -> ${c.with.importMs} ms (${c.addedImportMs >= 0 ? "+" : ""}${c.addedImportMs}); first invoke ${c.without.firstInvokeMs} -> ${c.with.firstInvokeMs} ms (${c.addedFirstInvokeMs >= 0 ? "+" : ""}${c.addedFirstInvokeMs}); fastest runs: import ${c.fastest.without.importMs} -> ${c.fastest.with.importMs} ms, first invoke ${c.fastest.without.firstInvokeMs} -> ${c.fastest.with.firstInvokeMs} ms`);
  }
  return lines;
}

export async function bundles(root: string) {
  const dir = await mkdtemp(join(os.tmpdir(), "feedpub-bench-bundles-"));
  try {
    // The SDK-external bundles import @aws-sdk/* at run time, as from the Lambda runtime's own copy.
    await symlink(join(root, "node_modules"), join(dir, "node_modules"), "dir");
    await writeFile(join(dir, "empty.mjs"), "export {};\n");
    const empty = await initTime(join(dir, "empty.mjs"));
    const out: Record<string, unknown> = {};
    for (const name of ["ingest", "publish"]) {
      const entry = join(root, `lambdas/${name}.ts`);
      const full = await bundle(entry, join(dir, `${name}.mjs`), false);
      const ext = await bundle(entry, join(dir, `${name}-sdk-external.mjs`), true);
      const fullInit = await initTime(join(dir, `${name}.mjs`));
      const extInit = await initTime(join(dir, `${name}-sdk-external.mjs`));
      out[name] = {
        sdkBundled: {
          bytes: full.bytes, underTarget: full.bytes < BUNDLE_TARGET_BYTES, init: fullInit,
          initRatioToEmpty: round(fullInit.importMs / empty.importMs), ...biggest(full.metafile, `${name}.mjs`),
        },
        sdkExternal: {
          bytes: ext.bytes, underTarget: ext.bytes < BUNDLE_TARGET_BYTES, init: extInit,
          initRatioToEmpty: round(extInit.importMs / empty.importMs), ...biggest(ext.metafile, `${name}-sdk-external.mjs`),
        },
      };
    }
    const powertools = await powertoolsCost(root, dir);
    return { emptyModuleInit: empty, targetBytes: BUNDLE_TARGET_BYTES, bundles: out as Record<"ingest" | "publish", BundleReport>, powertools };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface BundleVariant {
  bytes: number;
  underTarget: boolean;
  init: { importMs: number; sinceStartMs: number };
  initRatioToEmpty: number;
  topFiles: { path: string; bytes: number }[];
  topPackages: { pkg: string; bytes: number }[];
}
export interface BundleReport { sdkBundled: BundleVariant; sdkExternal: BundleVariant }

// `npx tsx bench/bundles.ts`: this section alone.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const root = new URL("..", import.meta.url).pathname;
  const r = await bundles(root);
  for (const [name, b] of Object.entries(r.bundles)) {
    for (const [variant, v] of [["SDK external", b.sdkExternal], ["SDK bundled", b.sdkBundled]] as const) {
      console.log(`${name} (${variant}): ${v.bytes.toLocaleString("en")} bytes (${Math.round(v.bytes / 1024)} KiB), under ${r.targetBytes / 1024} KiB: ${v.underTarget ? "yes" : "NO"}; init ${v.init.importMs} ms; biggest: ${v.topPackages.map((p) => `${p.pkg} ${Math.round(p.bytes / 1024)} KiB`).join(", ")}`);
    }
  }
  console.log(powertoolsLines(r.powertools).join("\n"));
}
