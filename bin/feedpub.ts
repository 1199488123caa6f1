#!/usr/bin/env -S npx tsx
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import type { IngestResult } from "../lambdas/app/ingest.js";
import type { PublishReport } from "../lambdas/app/publish.js";
import { formatProblem } from "../lambdas/core/model.js";
import { LocalPipeline, type RunSummary } from "../local/local-pipeline.js";
import { startLocalServer } from "../local/local-server.js";

/**
 * The local CLI: build, check, serve (and upload, for editors on AWS). Exit codes:
 * 0 every file accepted; 1 some file rejected (the rest still published); 2 usage or
 * site-config error.
 */

export const EXIT = { ok: 0, rejected: 1, usage: 2 } as const;

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
const red = (s: string) => paint(31, s);
const yellow = (s: string) => paint(33, s);
const green = (s: string) => paint(32, s);
const dim = (s: string) => paint(2, s);

function reportResults(results: readonly IngestResult[], contentDir: string): { rejected: number; siteBroken: boolean } {
  const rel = relative(process.cwd(), contentDir) || ".";
  const prefix = rel === "." ? "" : `${rel.split(sep).join("/")}/`;
  let rejected = 0;
  let siteBroken = false;
  for (const r of results) {
    for (const p of r.problems) {
      const line = formatProblem({ ...p, file: prefix + p.file });
      console.error(p.severity === "error" ? red(`✗ ${line}`) : yellow(`! ${line}`));
    }
    // A file still held at the end (its author never came) is not published either.
    if (r.outcome === "rejected" || r.outcome === "held") {
      rejected++;
      if (r.key === "site.yaml") siteBroken = true;
    }
  }
  return { rejected, siteBroken };
}

function summary(results: readonly IngestResult[], report: PublishReport | undefined, outDir: string | undefined, ms: number): string {
  const count = (pred: (r: IngestResult) => boolean) => results.filter(pred).length;
  const articles = count((r) => r.key.startsWith("articles/") && ["published", "updated", "unchanged"].includes(r.outcome));
  const drafts = count((r) => r.key.startsWith("articles/") && r.outcome === "removed");
  const authors = count((r) => r.key.startsWith("authors/") && r.outcome !== "rejected" && r.outcome !== "ignored");
  const rejected = count((r) => r.outcome === "rejected");
  const held = count((r) => r.outcome === "held");
  const parts = [`${articles} article${articles === 1 ? "" : "s"}`, `${authors} author${authors === 1 ? "" : "s"}`];
  if (drafts) parts.push(`${drafts} draft${drafts === 1 ? "" : "s"} held back`);
  let line = `${parts.join(", ")} accepted`;
  if (rejected) line += red(`; ${rejected} file${rejected === 1 ? "" : "s"} rejected (see above)`);
  if (held) line += red(`; ${held} file${held === 1 ? "" : "s"} held, waiting for what they name (see above)`);
  if (report && outDir) line += `; ${report.feeds} feeds, ${report.written.length} files written to ${relative(process.cwd(), outDir) || "."}/ (${report.unchanged} unchanged)`;
  return `${line} in ${(ms / 1000).toFixed(1)} s`;
}

async function assertDir(dir: string, what: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError(`${what} folder not found: ${dir}`);
}

class UsageError extends Error {}

function exitCodeOf(results: readonly IngestResult[], contentDir: string): number {
  const { rejected, siteBroken } = reportResults(results, contentDir);
  if (siteBroken || !results.some((r) => r.key === "site.yaml")) {
    if (!siteBroken) console.error(red(`✗ site.yaml: error in file: it is missing. Fix: create ${join(contentDir, "site.yaml")} with title and baseUrl`));
    return EXIT.usage;
  }
  return rejected > 0 ? EXIT.rejected : EXIT.ok;
}

async function runOnce(opts: { content: string; out?: string; baseUrl?: string }): Promise<number> {
  const contentDir = resolve(opts.content);
  await assertDir(contentDir, "content");
  const started = Date.now();
  const scratch = opts.out ? undefined : await mkdtemp(join(tmpdir(), "feedpub-check-"));
  const outDir = opts.out ? resolve(opts.out) : scratch!;
  const pipeline = await LocalPipeline.start({ contentDir, outDir, ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}) });
  try {
    const run = await pipeline.buildAll();
    const code = exitCodeOf(run.results, contentDir);
    console.log(summary(run.results, run.publish, opts.out ? outDir : undefined, Date.now() - started));
    return code;
  } finally {
    await pipeline.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

async function serve(opts: { content: string; out: string; port: number; baseUrl?: string; watch: boolean }): Promise<number> {
  const contentDir = resolve(opts.content);
  const outDir = resolve(opts.out);
  await assertDir(contentDir, "content");
  const started = Date.now();
  const { server, url } = await startLocalServer(outDir, opts.port).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "EADDRINUSE") throw new UsageError(`port ${opts.port} is in use: stop the other server or set PORT=8081`);
    throw err;
  });
  const baseUrl = opts.baseUrl ?? url;
  const pipeline = await LocalPipeline.start({ contentDir, outDir, baseUrl });
  const run = await pipeline.buildAll();
  const code = exitCodeOf(run.results, contentDir);
  console.log(summary(run.results, run.publish, outDir, Date.now() - started));
  if (code === EXIT.usage) {
    server.close();
    await pipeline.close();
    return code;
  }
  console.log(`\nServing ${relative(process.cwd(), outDir) || "."}/ at ${green(`${url}/`)}`);
  console.log(`  RSS        ${url}/feed.xml`);
  console.log(`  Atom       ${url}/atom.xml`);
  console.log(`  JSON Feed  ${url}/feed.json`);
  console.log(`  All feeds  ${url}/feeds.opml`);
  console.log(dim(opts.watch ? `Watching ${relative(process.cwd(), contentDir) || "."}/ for changes. Ctrl-C stops.` : "Ctrl-C stops."));

  let timer: NodeJS.Timeout | undefined;
  const schedule = (report: PublishReport | undefined) => {
    if (!report?.nextScheduled) return;
    clearTimeout(timer);
    const wait = Math.min(2 ** 31 - 1, Math.max(0, Date.parse(report.nextScheduled) - Date.now()) + 500);
    timer = setTimeout(() => {
      queue = queue.then(async () => {
        const r = await pipeline.republish();
        if (r.written.length) console.log(`${new Date().toLocaleTimeString()} scheduled article due: ${r.written.length} files written`);
        schedule(r);
      });
    }, wait);
  };
  schedule(run.publish);

  let queue: Promise<void> = Promise.resolve();
  if (opts.watch) {
    const { watch } = await import("chokidar");
    const watcher = watch(contentDir, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 150, pollInterval: 50 } });
    const onEvent = (type: "put" | "delete") => (path: string) => {
      const key = relative(contentDir, path).split(sep).join("/");
      queue = queue.then(async () => {
        const t0 = Date.now();
        try {
          const r: RunSummary = await pipeline.fileChanged(key, type);
          reportResults(r.results, contentDir);
          const outcome = r.results[0]?.outcome ?? "";
          if (outcome !== "ignored") console.log(`${new Date().toLocaleTimeString()} ${key}: ${outcome}; ${r.publish?.written.length ?? 0} files written in ${Date.now() - t0} ms`);
          schedule(r.publish);
        } catch (err) {
          console.error(red(`✗ ${key}: ${(err as Error).message}`));
        }
      });
    };
    watcher.on("add", onEvent("put")).on("change", onEvent("put")).on("unlink", onEvent("delete"));
  }
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  clearTimeout(timer);
  server.close();
  await pipeline.close();
  return EXIT.ok;
}

async function upload(opts: { bucket: string; content: string; dryRun?: boolean; endpoint?: string; region?: string }): Promise<number> {
  const contentDir = resolve(opts.content);
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
  const code = exitCodeOf(run.results, contentDir);
  if (code === EXIT.usage) {
    console.error(red("Nothing uploaded: fix site.yaml first."));
    return code;
  }
  const accepted = run.results.filter((r) => r.outcome !== "rejected" && r.outcome !== "ignored").map((r) => r.key);
  const { S3Client } = await import("@aws-sdk/client-s3");
  const { planUpload, runUpload } = await import("../local/upload.js");
  const s3 = new S3Client({
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
  });
  try {
    const plan = await planUpload(s3, opts.bucket, contentDir, accepted);
    if (opts.dryRun) {
      for (const item of plan.upload) console.log(`would upload ${item.key} (${item.status})`);
      console.log(`${plan.upload.length} file${plan.upload.length === 1 ? "" : "s"} to upload, ${plan.unchanged} unchanged (dry run: nothing uploaded)`);
      return code;
    }
    await runUpload(s3, opts.bucket, contentDir, plan, process.stdout.isTTY === true);
    console.log(`${plan.upload.length} file${plan.upload.length === 1 ? "" : "s"} uploaded to s3://${opts.bucket}, ${plan.unchanged} unchanged. Reports appear under s3://${opts.bucket}/_reports/ within seconds.`);
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

export function buildCli(): Command {
  const program = new Command("feedpub")
    .description("Publish RSS 2.0, Atom 1.0 and JSON Feed 1.1 from Markdown articles.")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");
  const content = () => new Option("--content <dir>", "content folder (site.yaml, authors/, articles/)").default("content");

  program.command("build")
    .description("ingest every file under the content folder and write the feeds, then exit")
    .addOption(content())
    .option("--out <dir>", "output folder", "dist")
    .option("--base-url <url>", "public address of the feeds (overrides baseUrl of site.yaml)", parseUrl)
    .action(async (o) => { process.exitCode = await runOnce(o); });

  program.command("check")
    .description("validate every content file and report problems; writes nothing")
    .addOption(content())
    .action(async (o) => { process.exitCode = await runOnce({ content: o.content }); });

  program.command("serve")
    .description("build, serve the output on localhost, and rebuild what a changed file affects")
    .addOption(content())
    .option("--out <dir>", "output folder", "dist")
    .addOption(new Option("--port <n>", "port to listen on").env("PORT").default(8080).argParser(parsePort))
    .option("--base-url <url>", "address written into the feeds (default: the local server's)", parseUrl)
    .option("--no-watch", "do not watch the content folder")
    .action(async (o) => { process.exitCode = await serve(o); });

  program.command("upload")
    .description("validate locally, then upload new or changed files to the content bucket on AWS")
    .requiredOption("--bucket <name>", "content bucket (the ContentBucketName output of the stack)")
    .addOption(content())
    .option("--dry-run", "list what would be uploaded; upload nothing")
    .option("--region <region>", "AWS region (default: from the AWS config)")
    .addOption(new Option("--endpoint <url>", "S3 endpoint (an S3-compatible server, e.g. for tests)").argParser(parseUrl).hideHelp())
    .action(async (o) => { process.exitCode = await upload(o); });

  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (err instanceof UsageError) {
      console.error(red(`✗ ${err.message}`));
      process.exitCode = EXIT.usage;
      return;
    }
    throw err;
  }
}

await main(process.argv);
