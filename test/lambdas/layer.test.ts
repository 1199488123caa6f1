import { execFile } from "node:child_process";
import dgram from "node:dgram";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_EXTERNALS, lambdaBuildOptions, powertoolsLayerParameter, powertoolsVersion } from "../../lib/lambda-bundling.js";

/**
 * The deployed bundles with Tracer taken from the Powertools layer, as far as that can
 * be shown without AWS. Lambda unpacks a layer under /opt and lists
 * /opt/nodejs/node_modules in NODE_PATH; here a temporary folder stands for the
 * machine: `var/task` holds only the bundle, `opt/nodejs/node_modules` the Tracer
 * package and its dependencies (copied, not linked, so nothing resolves back into this
 * repository's node_modules), NODE_PATH names that folder, and the X-Ray SDK runs in
 * its Lambda mode (LAMBDA_TASK_ROOT, AWS_EXECUTION_ENV, a sampled `_X_AMZN_TRACE_ID`),
 * sending its subsegments over UDP to a local socket that stands for the X-Ray daemon.
 *
 * The AWS SDK, which the bundles also leave out, comes on Lambda from the runtime, which
 * resolves ES module imports through NODE_PATH itself (Lambda Node.js 18+); Node alone
 * does not, so here it is found in a `var/node_modules` that holds links to this
 * repository's packages except Powertools and the X-Ray SDK. What is not shown: the
 * real layer's content (its ARN is read from SSM at deploy time) and the real daemon.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);
const TRACE_ID = "1-6744a1b2-3c4d5e6f708192a3b4c5d6e7";
let machine: string;
let task: string;
let layer: string;

/** The folder of package `name` as Node would find it from `fromDir`. */
function packageDir(fromDir: string, name: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} not found from ${fromDir}`);
  }
}

/** Copies `name` and everything it depends on (its `dependencies`, transitively) into `to`. */
function copyWithDependencies(name: string, fromDir: string, to: string, seen = new Set<string>()): void {
  if (seen.has(name)) return;
  seen.add(name);
  const dir = packageDir(fromDir, name);
  cpSync(dir, join(to, name), { recursive: true, dereference: true });
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies ?? {})) copyWithDependencies(dep, dir, to, seen);
}

beforeAll(async () => {
  machine = await mkdtemp(join(os.tmpdir(), "feedpub-layer-test-"));
  task = join(machine, "var/task");
  layer = join(machine, "opt/nodejs/node_modules");
  mkdirSync(task, { recursive: true });
  mkdirSync(layer, { recursive: true });
  copyWithDependencies("@aws-lambda-powertools/tracer", ROOT, layer);
  // The runtime's AWS SDK (and the rest of this repository's packages, none of which the bundles import).
  const runtime = join(machine, "var/node_modules");
  mkdirSync(runtime);
  for (const entry of readdirSync(join(ROOT, "node_modules"))) {
    if (["@aws-lambda-powertools", "aws-xray-sdk-core", ".bin"].includes(entry) || entry.startsWith(".")) continue;
    symlinkSync(join(ROOT, "node_modules", entry), join(runtime, entry));
  }
  const o = lambdaBuildOptions();
  for (const name of ["ingest", "publish"]) {
    await build({ ...o, mainFields: [...o.mainFields], external: [...o.external], entryPoints: [join(ROOT, `lambdas/${name}.ts`)], outdir: join(task, name), outExtension: { ".js": ".mjs" }, logLevel: "error" });
  }
}, 120_000);

afterAll(async () => {
  await rm(machine, { recursive: true, force: true });
});

const FIRST_EVENT: Record<"ingest" | "publish", unknown> = {
  ingest: { Records: [{ eventName: "ObjectCreated:Put", eventTime: "2026-11-29T10:00:00.000Z", s3: { bucket: { name: "content" }, object: { key: "articles/layer+test.md", size: 10, sequencer: "0062A1B2C3D4E5F601" } } }] },
  publish: { Records: [{ eventID: "1", eventName: "INSERT", dynamodb: { Keys: { pk: { S: "DIRTY" } }, SequenceNumber: "111" } }] },
};

interface Subsegment { name: string; namespace?: string; annotations?: Record<string, unknown>; subsegments?: Subsegment[]; fault?: boolean; error?: boolean; trace_id?: string; aws?: { operation?: string } }

/**
 * One cold invocation of a bundle in a fresh node, on the stand-in machine. Its AWS
 * calls go to a closed local port and fail at once, so the handler rejects; what counts
 * is how far it got and what it traced.
 */
async function invoke(name: "ingest" | "publish", withLayer: boolean) {
  const daemon = dgram.createSocket("udp4");
  const received: Subsegment[] = [];
  daemon.on("message", (msg) => {
    // `{"format":"json","version":1}\n{...}`: a header line, then one (sub)segment.
    const body = msg.toString("utf8").split("\n").slice(1).join("\n");
    received.push(JSON.parse(body) as Subsegment);
  });
  await new Promise<void>((resolve) => daemon.bind(0, "127.0.0.1", resolve));
  const script = `
const m = await import(${JSON.stringify(pathToFileURL(join(task, name, `${name}.mjs`)).href)});
const context = { functionName: "fn", awsRequestId: "req-1", invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:fn", memoryLimitInMB: "256", functionVersion: "$LATEST", getRemainingTimeInMillis: () => 30000 };
let error;
await m.handler(${JSON.stringify(FIRST_EVENT[name])}, context).catch((e) => { error = e?.name + ": " + e?.message; });
const { createRequire } = await import("node:module");
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => /powertools.tracer|aws-xray-sdk-core/.test(k));
await new Promise((r) => setTimeout(r, 300));
process.stdout.write("\\nRESULT " + JSON.stringify({ error, loaded }) + "\\n");`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_MAX_ATTEMPTS: "1",
    TABLE_NAME: "t", CONTENT_BUCKET: "c", SITE_BUCKET: "s", DISTRIBUTION_ID: "E1", POWERTOOLS_SERVICE_NAME: `feedpub-${name}`, POWERTOOLS_METRICS_NAMESPACE: "feedpub",
    // What Lambda sets (nodejs22.x): the layer folders on NODE_PATH, the task root, the runtime, the trace header.
    ...(withLayer ? { NODE_PATH: [join(machine, "opt/nodejs/node22/node_modules"), layer].join(":") } : {}),
    LAMBDA_TASK_ROOT: task, AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x", AWS_LAMBDA_FUNCTION_NAME: "fn", AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    _X_AMZN_TRACE_ID: `Root=${TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1`, AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
  };
  try {
    const { stdout, stderr } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: task, env, maxBuffer: 16 * 1024 * 1024 });
    const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (!line) throw new Error(`no result; stdout ${stdout.slice(0, 2000)} stderr ${stderr.slice(0, 2000)}`);
    const result = JSON.parse(line.slice(7)) as { error?: string; loaded: string[] };
    const flat = (s: Subsegment): Subsegment[] => [s, ...(s.subsegments ?? []).flatMap(flat)];
    return { ...result, output: stdout + stderr, subsegments: received.flatMap(flat) };
  } finally {
    daemon.close();
  }
}

describe("the bundles with Tracer from the Powertools layer (a stand-in /opt on NODE_PATH)", () => {
  it("contain neither Tracer nor the X-Ray SDK, and leave both external", () => {
    expect(BUNDLE_EXTERNALS).toEqual(expect.arrayContaining(["@aws-lambda-powertools/tracer", "aws-xray-sdk-core"]));
    for (const name of ["ingest", "publish"]) {
      const code = readFileSync(join(task, name, `${name}.mjs`), "utf8");
      // The X-Ray SDK's own marks: its daemon and context settings, its CLS dependency.
      const xray = ["AWS_XRAY_DAEMON_ADDRESS", "AWS_XRAY_CONTEXT_MISSING", "cls-hooked", "aws-xray-sdk"].filter((mark) => code.includes(mark));
      expect(xray, name).toEqual([]);
      expect(code.includes('"@aws-lambda-powertools/tracer"'), name).toBe(true);
    }
  });

  it("ingest loads Tracer from the layer folder and sends its subsegments: invocation (cold start, service), the S3 record (key, sequencer), each SDK call", async () => {
    const r = await invoke("ingest", true);
    // It got as far as its first AWS call: no module error.
    expect(r.error).toMatch(/ECONNREFUSED|connect/i);
    expect(r.error).not.toMatch(/Cannot find|MODULE_NOT_FOUND/);
    expect(r.loaded.length).toBeGreaterThan(0);
    for (const file of r.loaded) expect(file.startsWith(layer), file).toBe(true);
    const invocation = r.subsegments.find((s) => s.name === "## ingest");
    expect(invocation, r.output).toMatchObject({ trace_id: TRACE_ID, annotations: { ColdStart: true, Service: "feedpub-ingest" }, fault: true });
    const record = r.subsegments.find((s) => s.name === "### ingest");
    expect(record).toMatchObject({ annotations: { s3Key: "articles/layer test.md", s3Sequencer: "0062A1B2C3D4E5F601", s3EventName: "ObjectCreated:Put" } });
    // The first AWS call, the file's GetObject, as its own subsegment (once: no second one from the HTTP capture).
    const calls = r.subsegments.filter((s) => s.namespace === "aws");
    expect(calls.map((c) => [c.name, c.aws?.operation])).toEqual([["S3", "GetObject"]]);
    expect(r.subsegments.map((s) => s.name).sort()).toEqual(["## ingest", "### ingest", "S3"]);
  }, 60_000);

  it("publish loads Tracer from the layer folder: invocation and the stream batch (trigger, records, sequence numbers) as annotations", async () => {
    const r = await invoke("publish", true);
    expect(r.error).toMatch(/ECONNREFUSED|connect/i);
    for (const file of r.loaded) expect(file.startsWith(layer), file).toBe(true);
    expect(r.loaded.length).toBeGreaterThan(0);
    expect(r.subsegments.find((s) => s.name === "## publish"), r.output).toMatchObject({ annotations: { ColdStart: true, Service: "feedpub-publish" } });
    expect(r.subsegments.find((s) => s.name === "### publish")).toMatchObject({
      annotations: { trigger: "stream", records: 1, firstSequenceNumber: "111", lastSequenceNumber: "111" },
    });
    expect(r.subsegments.filter((s) => s.namespace === "aws").map((c) => c.name)).toContain("DynamoDB");
  }, 60_000);

  it("without the layer, both handlers still run (untraced, one warning), and nothing else provides Tracer", async () => {
    for (const name of ["ingest", "publish"] as const) {
      const r = await invoke(name, false);
      expect(r.error, r.output).toMatch(/ECONNREFUSED|connect/i);
      expect(r.loaded).toEqual([]);
      expect(r.subsegments).toEqual([]);
      expect(r.output).toContain('"message":"tracing off"');
    }
  }, 60_000);
});

describe("the Powertools version", () => {
  it("is one exact version for Logger, Metrics and Tracer, and the layer parameter names it", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const versions = ["logger", "metrics", "tracer"].map((p) => pkg.dependencies[`@aws-lambda-powertools/${p}`]);
    expect(new Set(versions)).toEqual(new Set([powertoolsVersion()]));
    expect(powertoolsLayerParameter()).toBe(`/aws/service/powertools/typescript/generic/all/${powertoolsVersion()}`);
  });
});
