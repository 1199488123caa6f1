#!/usr/bin/env -S npx tsx
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { realpathSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalPipeline, type RunSummary } from "../local/local-pipeline.js";
import { PortInUseError } from "../local/local-server.js";
import { LocalServe } from "../local/serve.js";
import { EXIT, exitCodeOf, paint, servingBanner, summaryLine, type Terminal } from "../local/terminal.js";

/**
 * The local CLI: build, check, serve (and upload, for editors on AWS). Exit codes:
 * 0 every file accepted; 1 some file rejected (the rest still published); 2 usage or
 * site-config error. `run()` is the whole CLI; the process is only its host, so tests run
 * it in process.
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
}

/** A usage mistake the user fixes by changing the command: printed as one line, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

async function assertDir(dir: string, what: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError(`${what} folder not found: ${dir}`);
}

async function runOnce(t: Terminal, opts: { content: string; out?: string; baseUrl?: string }): Promise<number> {
  const contentDir = resolve(t.cwd, opts.content);
  await assertDir(contentDir, "content");
  const started = Date.now();
  const scratch = opts.out ? undefined : await mkdtemp(join(tmpdir(), "feedpub-check-"));
  const outDir = opts.out ? resolve(t.cwd, opts.out) : scratch!;
  const pipeline = await LocalPipeline.start({ contentDir, outDir, ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}) });
  try {
    const run = await pipeline.buildAll();
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

async function serve(t: Terminal, io: CliIo, opts: { content: string; out: string; port: number; baseUrl?: string; watch: boolean }): Promise<number> {
  const contentDir = resolve(t.cwd, opts.content);
  const outDir = resolve(t.cwd, opts.out);
  await assertDir(contentDir, "content");
  const started = Date.now();
  const serving = await LocalServe.start({ contentDir, outDir, port: opts.port, watch: opts.watch, terminal: t, ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}) });
  try {
    const { results, publish } = serving.initial;
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

async function upload(t: Terminal, io: CliIo, opts: { bucket: string; content: string; dryRun?: boolean; endpoint?: string; region?: string }): Promise<number> {
  const contentDir = resolve(t.cwd, opts.content);
  await assertDir(contentDir, "content");
  // Validate with the same core first: rejected files are reported and not uploaded.
  const scratch = await mkdtemp(join(tmpdir(), "feedpub-upload-"));
  const pipeline = await LocalPipeline.start({ contentDir, outDir: scratch });
  let run: RunSummary;
  try {
    run = await pipeline.buildAll();
  } finally {
    await pipeline.close();
    await rm(scratch, { recursive: true, force: true });
  }
  const code = exitCodeOf(t, run.results, contentDir);
  if (code === EXIT.usage) {
    t.err(paint(t).red("Nothing uploaded: fix site.yaml first."));
    return code;
  }
  const accepted = run.results.filter((r) => r.outcome !== "rejected" && r.outcome !== "ignored").map((r) => r.key);
  const { S3Client } = await import("@aws-sdk/client-s3");
  const { planUpload, runUpload } = await import("../local/upload.js");
  const s3 = new S3Client({
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
  });
  const files = (n: number) => `${n} file${n === 1 ? "" : "s"}`;
  try {
    const plan = await planUpload(s3, opts.bucket, contentDir, accepted);
    if (opts.dryRun) {
      for (const item of plan.upload) t.out(`would upload ${item.key} (${item.status})`);
      t.out(`${files(plan.upload.length)} to upload, ${plan.unchanged} unchanged (dry run: nothing uploaded)`);
      return code;
    }
    await runUpload(s3, opts.bucket, contentDir, plan, io.isTTY === true ? "bar" : t.out);
    t.out(`${files(plan.upload.length)} uploaded to s3://${opts.bucket}, ${plan.unchanged} unchanged. Reports appear under s3://${opts.bucket}/_reports/ within seconds.`);
    return code;
  } finally {
    s3.destroy();
  }
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

  program.command("build")
    .description("ingest every file under the content folder and write the feeds, then exit")
    .addOption(content())
    .option("--out <dir>", "output folder", "dist")
    .option("--base-url <url>", "public address of the feeds (overrides baseUrl of site.yaml)", parseUrl)
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
    .action(async (o, cmd: Command) => {
      const fromEnv = cmd.getOptionValueSource("port") === "default" && envPort !== undefined;
      if (fromEnv && !/^\d+$/.test(envPort)) throw new UsageError(`PORT=${envPort} is not a port number from 0 to 65535`);
      result.code = await serve(t, io, { ...o, port: fromEnv ? parsePort(envPort) : o.port });
    });

  program.command("upload")
    .description("validate locally, then upload new or changed files to the content bucket on AWS")
    .requiredOption("--bucket <name>", "content bucket (the ContentBucketName output of the stack)")
    .addOption(content())
    .option("--dry-run", "list what would be uploaded; upload nothing")
    .option("--region <region>", "AWS region (default: from the AWS config)")
    .addOption(new Option("--endpoint <url>", "S3 endpoint (an S3-compatible server, e.g. for tests)").argParser(parseUrl).hideHelp())
    .action(async (o) => { result.code = await upload(t, io, o); });

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
    if (err instanceof UsageError || err instanceof PortInUseError) {
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
