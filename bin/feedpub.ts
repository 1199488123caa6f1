#!/usr/bin/env -S npx tsx
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { realpathSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256 } from "../lambdas/app/hash.js";
import { classifyKey, SITE_KEY } from "../lambdas/contracts/content-keys.js";
import type { WaitTarget } from "../local/editor.js";
import { listContentKeys, LocalPipeline, type LocalStoreKind, type RunSummary } from "../local/local-pipeline.js";
import { PortInUseError } from "../local/local-server.js";
import { LocalServe } from "../local/serve.js";
import { storeDirFor, StoreInUseError } from "../local/warm-store.js";
import { EXIT, exitCodeOf, paint, servingBanner, shown, summaryLine, type Terminal } from "../local/terminal.js";

/**
 * The local CLI: build, check, serve; and for editors on AWS upload, status and remove.
 * Exit codes: 0 every file accepted; 1 some file rejected or held (the rest still
 * published); 2 usage or site-config error, or `--wait` got no report in time. `run()` is
 * the whole CLI; the process is only its host, so tests run it in process.
 */

export { EXIT };

/** What the CLI reads and writes besides files: the process's by default (`processIo()`). */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (`--content content`) are resolved against it and printed relative to it. */
  readonly cwd: string;
  /** Colours and the upload progress bar. @default false */
  readonly isTTY?: boolean;
  /** Resolves when `serve` should stop. @default the first SIGINT or SIGTERM */
  readonly untilStopped?: () => Promise<void>;
  /** The clock `status` tells due scheduled articles by. @default () => new Date() */
  readonly now?: () => Date;
}

/** A usage mistake the user fixes by changing the command: printed as one line, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

async function assertDir(dir: string, what: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError(`${what} folder not found: ${dir}`);
}

/** Where `build` and `serve` keep their stores between runs, relative to the working folder. */
export const DEFAULT_STORE_ROOT = ".feedpub/store";

/** How a run stores its state: `--store memory|dynalite`, `--store-dir`, `--fresh`, `--workers`. */
interface StoreOptions {
  readonly store?: LocalStoreKind;
  readonly storeDir?: string;
  readonly fresh?: boolean;
  readonly workers?: number;
}

async function runOnce(t: Terminal, opts: { content: string; out?: string; baseUrl?: string } & StoreOptions): Promise<number> {
  const contentDir = resolve(t.cwd, opts.content);
  await assertDir(contentDir, "content");
  const started = Date.now();
  const scratch = opts.out ? undefined : await mkdtemp(join(tmpdir(), "feedpub-check-"));
  const outDir = opts.out ? resolve(t.cwd, opts.out) : scratch!;
  // `build` keeps its store (warm start); `check`, and a build on dynalite, start from nothing every time.
  const storeDir = opts.out && opts.store !== "dynalite" ? storeDirFor(resolve(t.cwd, opts.storeDir ?? DEFAULT_STORE_ROOT), contentDir, opts.baseUrl) : undefined;
  const pipeline = await LocalPipeline.start({ contentDir, outDir, ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}), ...(storeDir ? { storeDir } : {}), ...(opts.fresh ? { fresh: true } : {}), ...pipelineChoices(opts) });
  try {
    const run = await pipeline.buildAll();
    if (run.start?.notice) t.err(paint(t).yellow(`! ${run.start.notice}`));
    const code = exitCodeOf(t, run.results, contentDir);
    t.out(summaryLine(t, run.results, run.publish, opts.out ? outDir : undefined, Date.now() - started));
    return code;
  } finally {
    await pipeline.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

/** The first SIGINT or SIGTERM; the handlers go with it, so a second Ctrl-C kills at once. */
function untilSignal(): Promise<void> {
  return new Promise((resolveStop) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolveStop();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

const pipelineChoices = (opts: StoreOptions) => ({ ...(opts.store ? { store: opts.store } : {}), ...(opts.workers !== undefined ? { workers: opts.workers } : {}) });

async function serve(t: Terminal, io: CliIo, opts: { content: string; out: string; port: number; baseUrl?: string; watch: boolean } & StoreOptions): Promise<number> {
  const contentDir = resolve(t.cwd, opts.content);
  const outDir = resolve(t.cwd, opts.out);
  await assertDir(contentDir, "content");
  const started = Date.now();
  const storeRoot = opts.store === "dynalite" ? undefined : resolve(t.cwd, opts.storeDir ?? DEFAULT_STORE_ROOT);
  const serving = await LocalServe.start({
    contentDir, outDir, port: opts.port, watch: opts.watch, terminal: t, ...(storeRoot ? { storeRoot } : {}), ...pipelineChoices(opts),
    ...(opts.fresh ? { fresh: true } : {}), ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
  });
  try {
    const { results, publish } = serving.initial;
    if (serving.initial.start?.notice) t.err(paint(t).yellow(`! ${serving.initial.start.notice}`));
    const code = exitCodeOf(t, results, contentDir);
    t.out(summaryLine(t, results, publish, outDir, Date.now() - started));
    if (code === EXIT.usage) return code;
    for (const line of servingBanner(t, serving.url, outDir, contentDir, opts.watch)) t.out(line);
    const stopped = (io.untilStopped ?? untilSignal)();
    await serving.follow();
    await stopped;
    return EXIT.ok;
  } finally {
    await serving.close();
  }
}

/** Where the CLI reaches S3: the default credential chain, optionally an S3-compatible endpoint (tests). */
interface S3Options {
  readonly endpoint?: string;
  readonly region?: string;
}

/** The SDK and the editor's modules load only for the commands that talk to S3 (build and serve start faster). */
const editor = () => import("../local/editor.js");

async function s3ClientFor(opts: S3Options) {
  const { S3Client } = await import("@aws-sdk/client-s3");
  return new S3Client({
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
  });
}

const files = (n: number) => `${n} file${n === 1 ? "" : "s"}`;

/** `--wait`'s limit, in seconds. @default 120 */
const DEFAULT_WAIT_SECONDS = 120;

/**
 * The content keys named on the command line: `articles/x.md` (relative to the content
 * folder) or a path to a file inside it (`content/articles/x.md`).
 */
async function namedKeys(t: Terminal, contentDir: string, args: readonly string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const arg of args) {
    const candidates = [resolve(contentDir, arg), resolve(t.cwd, arg)];
    let key: string | undefined;
    for (const path of candidates) {
      const rel = relative(contentDir, path).split(sep).join("/");
      if (rel.startsWith("../") || isAbsolute(rel) || !(await stat(path).catch(() => undefined))?.isFile()) continue;
      key = rel;
      break;
    }
    if (!key) throw new UsageError(`${arg}: no such file in ${shown(t, contentDir)}/`);
    if (classifyKey(key) === "ignored") throw new UsageError(`${arg}: not a content file (site.yaml, authors/*.md, articles/**/*.md)`);
    keys.push(key);
  }
  return [...new Set(keys)];
}

/**
 * What an upload is checked against: the local files, and, when the local folder has
 * no site.yaml or no authors, the bucket's. Returns the folder to check and how to name
 * each file in messages; `scratch` is a temporary folder to delete afterwards.
 */
async function checkFolder(t: Terminal, s3: import("@aws-sdk/client-s3").S3Client, bucket: string, contentDir: string, subset: readonly string[] | undefined) {
  const local = await listContentKeys(contentDir);
  const hasSite = local.includes(SITE_KEY);
  const hasAuthors = local.some((k) => classifyKey(k) === "author");
  const fromBucket = hasSite && hasAuthors ? new Map<string, Uint8Array>() : await (await editor()).bucketBase(s3, bucket, { site: !hasSite, authors: !hasAuthors });
  if (!hasSite && !fromBucket.has(SITE_KEY)) {
    throw new UsageError(`site.yaml is neither in ${shown(t, contentDir)}/ nor in s3://${bucket}/. Fix: create ${shown(t, join(contentDir, SITE_KEY))} with title and baseUrl (or upload it first)`);
  }
  const rel = shown(t, contentDir);
  const shownAs = (file: string) => (fromBucket.has(file) ? `s3://${bucket}/${file}` : `${rel === "." ? "" : `${rel}/`}${file}`);
  if (fromBucket.size === 0 && !subset) return { dir: contentDir, uploadable: local, shownAs, scratch: undefined };
  // A scratch folder: the local site settings and authors (or the bucket's), and the files to upload.
  const scratch = await mkdtemp(join(tmpdir(), "feedpub-base-"));
  const uploadable = subset ?? local.filter((k) => !fromBucket.has(k));
  const copied = new Set([...local.filter((k) => k === SITE_KEY || classifyKey(k) === "author"), ...uploadable]);
  for (const key of copied) {
    await mkdir(dirname(join(scratch, key)), { recursive: true });
    await cp(join(contentDir, key), join(scratch, key));
  }
  for (const [key, body] of fromBucket) {
    await mkdir(dirname(join(scratch, key)), { recursive: true });
    await writeFile(join(scratch, key), body);
  }
  return { dir: scratch, uploadable, shownAs, scratch };
}

interface UploadOptions extends S3Options {
  readonly bucket: string;
  readonly content: string;
  readonly dryRun?: boolean;
  readonly wait?: boolean;
  readonly timeout: number;
}

async function upload(t: Terminal, io: CliIo, args: readonly string[], opts: UploadOptions): Promise<number> {
  const contentDir = resolve(t.cwd, opts.content);
  await assertDir(contentDir, "content");
  const subset = args.length > 0 ? await namedKeys(t, contentDir, args) : undefined;
  const s3 = await s3ClientFor(opts);
  try {
    // Validate with the same core first: rejected files are reported and not uploaded.
    const base = await checkFolder(t, s3, opts.bucket, contentDir, subset);
    const out = await mkdtemp(join(tmpdir(), "feedpub-upload-"));
    const pipeline = await LocalPipeline.start({ contentDir: base.dir, outDir: out });
    let run: RunSummary;
    try {
      run = await pipeline.buildAll();
    } finally {
      await pipeline.close();
      await rm(out, { recursive: true, force: true });
      if (base.scratch) await rm(base.scratch, { recursive: true, force: true });
    }
    const code = exitCodeOf(t, run.results, contentDir, base.shownAs);
    if (code === EXIT.usage) {
      t.err(paint(t).red("Nothing uploaded: fix site.yaml first."));
      return code;
    }
    const uploadable = new Set(base.uploadable);
    const accepted = run.results.filter((r) => uploadable.has(r.key) && r.outcome !== "rejected" && r.outcome !== "ignored").map((r) => r.key);
    const { planUpload, runUpload } = await import("../local/upload.js");
    const plan = await planUpload(s3, opts.bucket, contentDir, accepted);
    if (opts.dryRun) {
      for (const item of plan.upload) t.out(`would upload ${item.key} (${item.status})`);
      t.out(`${files(plan.upload.length)} to upload, ${plan.unchanged} unchanged (dry run: nothing uploaded)`);
      return code;
    }
    await runUpload(s3, opts.bucket, contentDir, plan, io.isTTY === true ? "bar" : t.out);
    if (!opts.wait || plan.upload.length === 0) {
      t.out(`${files(plan.upload.length)} uploaded to s3://${opts.bucket}, ${plan.unchanged} unchanged. Reports appear under s3://${opts.bucket}/_reports/ within seconds.`);
      return code;
    }
    t.out(`${files(plan.upload.length)} uploaded to s3://${opts.bucket}, ${plan.unchanged} unchanged. Waiting for their reports (up to ${opts.timeout} s)...`);
    const targets = await Promise.all(plan.upload.map(async (item) => ({ key: item.key, version: sha256(await readFile(join(contentDir, item.key))) })));
    return await awaitReports(t, io, s3, opts, targets, code);
  } finally {
    s3.destroy();
  }
}

/** Waits for ingest's word on each target and prints it: 2 on timeout, 1 if a file was rejected or is held, else `code`. */
async function awaitReports(t: Terminal, io: CliIo, s3: import("@aws-sdk/client-s3").S3Client, opts: { bucket: string; timeout: number }, targets: readonly WaitTarget[], code: number): Promise<number> {
  const timeoutMs = opts.timeout * 1000;
  const { waitForReports, printWaitResult } = await editor();
  const result = await waitForReports(s3, opts.bucket, targets, { timeoutMs });
  const { failed } = printWaitResult(t, targets, result, timeoutMs, now(io));
  if (result.missing.length > 0) {
    t.err(paint(t).red(`✗ No report after ${opts.timeout} s for ${files(result.missing.length)}: ingest may be slow or failing (see the IngestFailureQueueUrl output of the stack and the ingest function's logs).`));
    return EXIT.timeout;
  }
  return failed ? EXIT.rejected : code;
}

const now = (io: CliIo) => io.now?.() ?? new Date();

async function status(t: Terminal, io: CliIo, opts: S3Options & { bucket: string; prefix: string }): Promise<number> {
  const s3 = await s3ClientFor(opts);
  try {
    const { listReports, printStatus } = await editor();
    printStatus(t, await listReports(s3, opts.bucket, opts.prefix), now(io));
    return EXIT.ok;
  } finally {
    s3.destroy();
  }
}

async function remove(t: Terminal, io: CliIo, keys: readonly string[], opts: S3Options & { bucket: string; dryRun?: boolean; wait?: boolean; timeout: number }): Promise<number> {
  for (const key of keys) {
    if (key === SITE_KEY) throw new UsageError("site.yaml cannot be removed: the last settings stay in effect. Upload a changed site.yaml instead");
    if (classifyKey(key) === "ignored") throw new UsageError(`${key}: not a content key (authors/<slug>.md or articles/**/<slug>.md, as in the bucket)`);
  }
  const s3 = await s3ClientFor(opts);
  try {
    const { objectExists, removeObjects } = await editor();
    const missing: string[] = [];
    for (const key of keys) if (!(await objectExists(s3, opts.bucket, key))) missing.push(key);
    if (missing.length > 0) throw new UsageError(`not in s3://${opts.bucket}: ${missing.join(", ")} (nothing removed)`);
    if (opts.dryRun) {
      for (const key of keys) t.out(`would remove ${key}`);
      t.out(`${files(keys.length)} to remove from s3://${opts.bucket} (dry run: nothing removed)`);
      return EXIT.ok;
    }
    await removeObjects(s3, opts.bucket, keys);
    for (const key of keys) t.out(`removed ${key}`);
    if (!opts.wait) {
      t.out(`${files(keys.length)} removed from s3://${opts.bucket}; ingest takes them out of the feeds within seconds.`);
      return EXIT.ok;
    }
    t.out(`${files(keys.length)} removed from s3://${opts.bucket}. Waiting for ingest (up to ${opts.timeout} s)...`);
    return await awaitReports(t, io, s3, opts, keys.map((key) => ({ key, version: "gone" as const })), EXIT.ok);
  } finally {
    s3.destroy();
  }
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a number of seconds above 0");
  return n;
}

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new InvalidArgumentError("must be a whole number from 0 to 256");
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("must be a port number from 0 to 65535");
  return n;
}

function parseUrl(value: string): string {
  if (!/^https?:\/\//.test(value) || !URL.canParse(value)) throw new InvalidArgumentError("must be an absolute http(s) URL");
  return value.replace(/\/+$/, "");
}

/** The commands; each action stores its exit code in `result.code`. */
export function buildCli(t: Terminal, io: CliIo, result: { code: number }): Command {
  const program = new Command("feedpub")
    .description("Publish RSS 2.0, Atom 1.0 and JSON Feed 1.1 from Markdown articles.")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError("(run with --help for usage)");
  const content = () => new Option("--content <dir>", "content folder (site.yaml, authors/, articles/)").default("content");
  const envPort = io.env.PORT;
  const storeDirOption = () => new Option("--store-dir <dir>", "folder of the stores kept between runs").default(DEFAULT_STORE_ROOT).hideHelp();
  const storeOption = () => new Option("--store <kind>", "memory (kept between runs in .feedpub/), or dynalite (the DynamoDB adapters on a local emulator, nothing kept; slower)").choices(["memory", "dynalite"]).default("memory");
  const workersOption = () => new Option("--workers <n>", "threads that parse articles in a full build (0: in process; default: one per core)").argParser(parseWorkers).hideHelp();

  program.command("build")
    .description("ingest every file under the content folder and write the feeds, then exit")
    .addOption(content())
    .option("--out <dir>", "output folder", "dist")
    .option("--base-url <url>", "public address of the feeds (overrides baseUrl of site.yaml)", parseUrl)
    .option("--fresh", `start over: delete the store kept from the last run (${DEFAULT_STORE_ROOT}/) and rebuild everything`)
    .addOption(storeOption())
    .addOption(storeDirOption())
    .addOption(workersOption())
    .action(async (o) => { result.code = await runOnce(t, o); });

  program.command("check")
    .description("validate every content file and report problems; writes nothing")
    .addOption(content())
    .action(async (o) => { result.code = await runOnce(t, { content: o.content }); });

  program.command("serve")
    .description("build, serve the output on localhost, and rebuild what a changed file affects")
    .addOption(content())
    .option("--out <dir>", "output folder", "dist")
    // PORT is read from `io.env`, not by commander (which reads process.env), so an in-process run sees its own.
    .addOption(new Option("--port <n>", "port to listen on (env: PORT)").default(8080).argParser(parsePort))
    .option("--base-url <url>", "address written into the feeds (default: the local server's)", parseUrl)
    .option("--no-watch", "do not watch the content folder")
    .option("--fresh", `start over: delete the store kept from the last run (${DEFAULT_STORE_ROOT}/) and rebuild everything`)
    .addOption(storeOption())
    .addOption(storeDirOption())
    .addOption(workersOption())
    .action(async (o, cmd: Command) => {
      const fromEnv = cmd.getOptionValueSource("port") === "default" && envPort !== undefined;
      if (fromEnv && !/^\d+$/.test(envPort)) throw new UsageError(`PORT=${envPort} is not a port number from 0 to 65535`);
      result.code = await serve(t, io, { ...o, port: fromEnv ? parsePort(envPort) : o.port });
    });

  const endpoint = () => new Option("--endpoint <url>", "S3 endpoint (an S3-compatible server, e.g. for tests)").argParser(parseUrl).hideHelp();
  const timeout = () => new Option("--timeout <seconds>", "how long --wait waits for the reports").default(DEFAULT_WAIT_SECONDS).argParser(parseSeconds);
  const bucket = () => new Option("--bucket <name>", "content bucket (the ContentBucketName output of the stack)").makeOptionMandatory();

  program.command("upload")
    .description("validate locally, then upload new or changed files to the content bucket on AWS")
    .argument("[files...]", "upload only these files (e.g. articles/x.md); without a local site.yaml or authors/, those of the bucket are used to validate")
    .addOption(bucket())
    .addOption(content())
    .option("--dry-run", "list what would be uploaded; upload nothing")
    .option("--wait", "wait for ingest's report on each uploaded file and print it (exit 1: rejected or held; 2: no report in time)")
    .addOption(timeout())
    .option("--region <region>", "AWS region (default: from the AWS config)")
    .addOption(endpoint())
    .action(async (args: string[], o) => { result.code = await upload(t, io, args, o); });

  program.command("status")
    .description("list rejected, held, scheduled and draft files from ingest's reports in the content bucket")
    .addOption(bucket())
    .option("--prefix <prefix>", "only content keys starting with this (e.g. articles/2026/)", "")
    .option("--region <region>", "AWS region (default: from the AWS config)")
    .addOption(endpoint())
    .action(async (o) => { result.code = await status(t, io, o); });

  program.command("remove")
    .description("unpublish: delete content files from the bucket; ingest takes them out of every feed")
    .argument("<keys...>", "content keys as in the bucket, e.g. articles/2026/x.md")
    .addOption(bucket())
    .option("--dry-run", "list what would be removed; remove nothing")
    .option("--wait", "wait until ingest has taken each file out (exit 2: not in time)")
    .addOption(timeout())
    .option("--region <region>", "AWS region (default: from the AWS config)")
    .addOption(endpoint())
    .action(async (keys: string[], o) => { result.code = await remove(t, io, keys, o); });

  return program;
}

/** Runs the CLI on `argv` (the arguments after the command name); returns the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const t: Terminal = {
    out: (line) => io.stdout(`${line}\n`),
    err: (line) => io.stderr(`${line}\n`),
    color: io.isTTY === true && !io.env.NO_COLOR,
    cwd: io.cwd,
  };
  const result = { code: EXIT.ok as number };
  try {
    await buildCli(t, io, result).parseAsync([...argv], { from: "user" });
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof UsageError || err instanceof PortInUseError || err instanceof StoreInUseError) {
      t.err(paint(t).red(`✗ ${err.message}`));
      return EXIT.usage;
    }
    throw err;
  }
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTTY: process.stdout.isTTY === true,
  };
}

/** True when this file is the program Node was started with (directly, through tsx or a `bin` symlink). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  process.exitCode = await run(process.argv.slice(2), processIo());
}
