import { build, type Metafile } from "esbuild";
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

/** The Lambdas' esbuild options (lib/lambda-bundling.ts), with the SDK left to the Lambda runtime or, for comparison, bundled too. */
export async function bundle(entry: string, outfile: string, sdkExternal: boolean) {
  const { external, mainFields, ...options } = lambdaBuildOptions();
  const r = await build({
    ...options, entryPoints: [entry], outfile, metafile: true, logLevel: "silent",
    ...(sdkExternal ? { external: [...external], mainFields: [...mainFields] } : {}),
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
    return { emptyModuleInit: empty, targetBytes: BUNDLE_TARGET_BYTES, bundles: out as Record<"ingest" | "publish", BundleReport> };
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
}
