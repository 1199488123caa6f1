import type { FSWatcher } from "chokidar";
import { relative, sep } from "node:path";
import type { PublishReport } from "../lambdas/app/publish.js";
import { LocalPipeline, type LocalStoreKind, type RunSummary } from "./local-pipeline.js";
import { startLocalServer, type LocalServer } from "./local-server.js";
import { storeDirFor } from "./warm-store.js";
import { changeLine, paint, printProblems, type Terminal } from "./terminal.js";

/**
 * `feedpub serve` (`npm start`): build, serve `dist/`, then rebuild what each saved file
 * affects and republish when a scheduled article comes due. Everything it starts (HTTP
 * listeners, dynalite, the watcher, the timer) is stopped by `close()`, so the process
 * ends on the first Ctrl-C.
 */

export interface ServeOptions {
  readonly contentDir: string;
  readonly outDir: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Written into the feeds. @default the local server's address */
  readonly baseUrl?: string;
  /** Rebuild when a file under `contentDir` changes. */
  readonly watch: boolean;
  readonly terminal: Terminal;
  /** Keep the store between runs under this folder, one per content folder and base URL. @default in memory */
  readonly storeRoot?: string;
  /** Start the kept store over. */
  readonly fresh?: boolean;
  /** @default "memory" */
  readonly store?: LocalStoreKind;
  /** Parse threads of the first build. @default one per core */
  readonly workers?: number;
}

/** The longest `setTimeout` accepts (about 24.8 days); a later article is re-timed on the next run. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Publish a little after a scheduled article's time, so it is due by then. */
const SCHEDULE_SLACK_MS = 500;

export class LocalServe {
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private closed = false;

  private constructor(
    private readonly options: ServeOptions,
    private readonly server: LocalServer,
    private readonly pipeline: LocalPipeline,
    /** The first build: every file ingested, every feed published. */
    readonly initial: RunSummary,
  ) {}

  /** Starts the server and builds everything once; call `follow()` to keep the output current. */
  static async start(options: ServeOptions): Promise<LocalServe> {
    const server = await startLocalServer(options.outDir, options.port);
    let pipeline: LocalPipeline | undefined;
    try {
      const baseUrl = options.baseUrl ?? server.url;
      const storeDir = options.storeRoot ? storeDirFor(options.storeRoot, options.contentDir, baseUrl) : undefined;
      pipeline = await LocalPipeline.start({
        contentDir: options.contentDir, outDir: options.outDir, baseUrl, ...(storeDir ? { storeDir } : {}), ...(options.fresh ? { fresh: true } : {}),
        ...(options.store ? { store: options.store } : {}), ...(options.workers !== undefined ? { workers: options.workers } : {}),
      });
      return new LocalServe(options, server, pipeline, await pipeline.buildAll());
    } catch (err) {
      await pipeline?.close();
      await server.close();
      throw err;
    }
  }

  get url(): string {
    return this.server.url;
  }

  /** Watches the content folder (when asked) and schedules the next due article; resolves once the watcher is ready. */
  async follow(): Promise<void> {
    this.schedule(this.initial.publish);
    if (!this.options.watch) return;
    const { watch } = await import("chokidar");
    const { contentDir, terminal } = this.options;
    const watcher = watch(contentDir, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 150, pollInterval: 50 } });
    this.watcher = watcher;
    const onEvent = (type: "put" | "delete") => (path: string) => {
      const key = relative(contentDir, path).split(sep).join("/");
      this.enqueue(key, async () => {
        const t0 = Date.now();
        const r = await this.pipeline.fileChanged(key, type);
        printProblems(terminal, r.results, contentDir);
        const outcome = r.results.find((x) => x.key === key)?.outcome ?? "";
        if (outcome !== "ignored") terminal.out(changeLine(key, outcome, r.publish?.written.length ?? 0, Date.now() - t0, new Date()));
        // Other files this change settled: held files released, the next owner of a slug.
        for (const other of r.results) {
          if (other.key !== key && other.outcome !== "ignored") terminal.out(`  ${other.key}: ${other.outcome}`);
        }
        this.schedule(r.publish);
      });
    };
    watcher.on("add", onEvent("put")).on("change", onEvent("put")).on("unlink", onEvent("delete"));
    await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  }

  /** Stops watching and the timer, lets the running rebuild finish, then closes the server and dynalite. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.watcher?.close();
    await this.queue;
    await this.server.close();
    await this.pipeline.close();
  }

  /** Runs one rebuild after the previous one; a failure is printed and the next still runs. */
  private enqueue(what: string, job: () => Promise<void>): void {
    this.queue = this.queue.then(async () => {
      if (this.closed) return;
      try {
        await job();
      } catch (err) {
        this.options.terminal.err(paint(this.options.terminal).red(`✗ ${what}: ${(err as Error).message}`));
      }
    });
  }

  private schedule(report: PublishReport | undefined): void {
    if (!report?.nextScheduled || this.closed) return;
    clearTimeout(this.timer);
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, Date.parse(report.nextScheduled) - Date.now()) + SCHEDULE_SLACK_MS);
    this.timer = setTimeout(() => {
      this.enqueue("scheduled publish", async () => {
        const r = await this.pipeline.republish();
        if (r.written.length) this.options.terminal.out(`${new Date().toLocaleTimeString()} scheduled article due: ${r.written.length} files written`);
        this.schedule(r);
      });
    }, wait);
  }
}
