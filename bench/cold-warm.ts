import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

/**
 * Cold and warm `feedpub build` of the peer corpus (../shared/peers: the same Markdown
 * files Hugo builds), each in a fresh process, then a warm `feedpub serve` (time until it
 * serves), against Hugo's full-site build of the same corpus in the same run. Wall time,
 * peak RSS (GNU time) and files written. Every run names the same base URL, so build and
 * serve share one kept store.
 */

const execFileP = promisify(execFile);
const PEERS = process.env.PEERS_DIR ?? "/work/shared/peers";
const TIME = "/usr/bin/time";

export interface BuildRun {
  readonly seconds: number;
  readonly peakRssMB: number | null;
  /** From the build's summary line: files whose bytes changed. */
  readonly filesWritten: number | null;
  readonly summary: string;
  readonly exitCode: number;
}

export interface ServeRun {
  /** From the process start until the "Serving" banner. */
  readonly secondsToServing: number;
  readonly filesWritten: number | null;
  readonly summary: string;
}

export interface HugoRun {
  readonly fullBuildS: number;
  readonly rebuildAfterOneChangeS: number;
  readonly peakRssMB: number;
  readonly feedFiles: number;
}

export interface ColdWarmSize {
  readonly articles: number;
  readonly markdownFiles: number;
  readonly cold: BuildRun;
  readonly warm: BuildRun;
  readonly warmServe?: ServeRun;
  /** Files under dist/ after the cold build (header sidecars and the marker left out). */
  readonly siteFiles: number;
  readonly hugo: HugoRun | { readonly skipped: string };
  readonly coldToHugo: number | null;
}

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && !e.parentPath.includes(".headers") && !e.name.startsWith(".")).length;
}

/** Parses GNU time's `-v` report: the peak RSS in MB. */
function peakRss(stderr: string): number | null {
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return m ? Math.round(Number(m[1]) / 1024) : null;
}

/** The base URL every run of the bench names (build and serve then share one store). */
const BASE_URL = "http://localhost:18080";

const cliArgs = (root: string, command: string[]) =>
  ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, join(root, "bin/feedpub.ts"), ...command, "--content", "content", "--out", "dist", "--base-url", BASE_URL];

/** `feedpub serve` until it prints its banner, then Ctrl-C. */
async function feedpubServe(root: string, project: string, log: (s: string) => void, what: string): Promise<ServeRun> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), ...cliArgs(root, ["serve", "--no-watch", "--port", "0"])], {
    cwd: project, env: { ...process.env, NO_COLOR: "1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" }, stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
  const seconds = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (/Serving /.test(stdout)) resolve((performance.now() - t0) / 1000);
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code} before serving: ${stderr.slice(-500)}`)));
  });
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGINT");
  await exited;
  const summary = stdout.split("\n").find((l) => /files? written/.test(l)) ?? "";
  const written = /(\d+) files? written/.exec(summary);
  log(`  ${what}: serving after ${seconds.toFixed(1)} s: ${summary}`);
  return { secondsToServing: Math.round(seconds * 10) / 10, filesWritten: written ? Number(written[1]) : null, summary };
}

async function feedpubBuild(root: string, project: string, log: (s: string) => void, what: string): Promise<BuildRun> {
  const args = [...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), ...cliArgs(root, ["build"])];
  const timed = existsSync(TIME);
  const t0 = performance.now();
  let stdout = "";
  let stderr = "";
  let exitCode = 0;
  try {
    ({ stdout, stderr } = await execFileP(timed ? TIME : process.execPath, timed ? ["-v", process.execPath, ...args] : args, {
      cwd: project, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    }));
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    // Exit 1 (a rejected file) still built the site; anything else is reported as is.
    exitCode = typeof e.code === "number" ? e.code : -1;
    stdout = e.stdout ?? "";
    stderr = e.stderr ?? "";
  }
  const seconds = (performance.now() - t0) / 1000;
  const summary = stdout.trim().split("\n").pop() ?? "";
  const written = /(\d+) files? written/.exec(summary);
  log(`  ${what}: ${seconds.toFixed(1)} s, exit ${exitCode}: ${summary}`);
  return { seconds: Math.round(seconds * 10) / 10, peakRssMB: timed ? peakRss(stderr) : null, filesWritten: written ? Number(written[1]) : null, summary, exitCode };
}

async function hugo(n: number, log: (s: string) => void): Promise<HugoRun | { skipped: string }> {
  const script = join(PEERS, "hugo-bench.sh");
  const which = await execFileP("sh", ["-c", "command -v hugo"]).then(() => true, () => false);
  if (!which) {
    log("  hugo: not installed (apt-get install hugo time): column skipped");
    return { skipped: "hugo not installed" };
  }
  try {
    const { stdout } = await execFileP("bash", [script, String(n)], { maxBuffer: 16 * 1024 * 1024 });
    const line = stdout.trim().split("\n").pop() ?? "";
    const [, , full, rebuild, rss, feeds] = line.split("\t");
    const r = { fullBuildS: Number(full), rebuildAfterOneChangeS: Number(rebuild), peakRssMB: Number(rss), feedFiles: Number(feeds) };
    log(`  hugo: full build ${r.fullBuildS} s, peak RSS ${r.peakRssMB} MB, ${r.feedFiles} feed files`);
    return r;
  } catch (err) {
    const message = (err as Error).message.split("\n")[0]!;
    log(`  hugo: failed (${message}): column skipped`);
    return { skipped: message };
  }
}

/**
 * For each size: generates the corpus (gen-articles.py, plus the project's site.yaml and
 * authors), times a cold build (empty store, empty dist/) and a warm build of it, then
 * Hugo's full-site build of the same corpus.
 */
export async function coldWarm(root: string, sizes: readonly number[], work: string, log: (s: string) => void): Promise<ColdWarmSize[]> {
  const out: ColdWarmSize[] = [];
  for (const n of sizes) {
    log(`cold/warm build of the peer corpus: ${n.toLocaleString("en")} articles`);
    const project = join(work, `corpus-${n}`);
    await rm(project, { recursive: true, force: true });
    const content = join(project, "content");
    await mkdir(content, { recursive: true });
    await execFileP("python3", [join(PEERS, "gen-articles.py"), content, String(n)], { maxBuffer: 16 * 1024 * 1024 });
    await cp(join(root, "content/site.yaml"), join(content, "site.yaml"));
    await cp(join(root, "content/authors"), join(content, "authors"), { recursive: true, force: false });
    const markdownFiles = (await readdir(content, { recursive: true })).filter((f) => String(f).endsWith(".md")).length;
    const cold = await feedpubBuild(root, project, log, "cold build");
    const siteFiles = await countFiles(join(project, "dist")).catch(() => 0);
    const warm = await feedpubBuild(root, project, log, "warm build");
    const warmServe = await feedpubServe(root, project, log, "warm serve");
    const h = await hugo(n, log);
    const coldToHugo = "fullBuildS" in h && h.fullBuildS > 0 ? Math.round((cold.seconds / h.fullBuildS) * 10) / 10 : null;
    out.push({ articles: n, markdownFiles, cold, warm, warmServe, siteFiles, hugo: h, coldToHugo });
    await rm(project, { recursive: true, force: true });
  }
  return out;
}

export function coldWarmTable(rows: readonly ColdWarmSize[], table: (head: string[], rows: unknown[][]) => string): string {
  const mb = (x: number | null) => (x === null ? "-" : `${x} MB`);
  return [
    "Cold and warm `feedpub build` of the peer corpus (fresh process each; GNU time peak RSS), Hugo's full-site build of the same corpus in the same run:",
    table(
      ["articles", "cold build", "cold peak RSS", "files written", "warm build", "warm peak RSS", "warm files written", "warm serve: serving after", "files written", "Hugo full build", "Hugo peak RSS", "cold / Hugo"],
      rows.map((r) => [
        r.articles.toLocaleString("en"), `${r.cold.seconds} s`, mb(r.cold.peakRssMB), r.cold.filesWritten ?? "-",
        `${r.warm.seconds} s`, mb(r.warm.peakRssMB), r.warm.filesWritten ?? "-",
        r.warmServe ? `${r.warmServe.secondsToServing} s` : "-", r.warmServe?.filesWritten ?? "-",
        "fullBuildS" in r.hugo ? `${r.hugo.fullBuildS} s` : `skipped (${r.hugo.skipped})`, "fullBuildS" in r.hugo ? `${r.hugo.peakRssMB} MB` : "-",
        r.coldToHugo === null ? "-" : `${r.coldToHugo}x`,
      ]),
    ),
  ].join("\n");
}
