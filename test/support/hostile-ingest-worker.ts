/**
 * Runs every hostile input through the real `ingest()` use case (directory source,
 * DynamoDB store on an in-process dynalite) inside a Worker whose heap the test caps at
 * 128 MB. Posts one message per input, then `{ done, peakHeapMB }`.
 */
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import { dirname, join } from "node:path";
import v8 from "node:v8";
import { parentPort } from "node:worker_threads";
import { DirectoryContent } from "../../lambdas/adapters/directory-content.js";
import { DynamoDbContentStore } from "../../lambdas/adapters/dynamodb-content-store.js";
import { ingest, type IngestDeps } from "../../lambdas/app/ingest.js";
import { startLocalDynamo } from "../../local/local-dynamo.js";
import { HOSTILE_ARTICLES, HOSTILE_AUTHORS, HOSTILE_SITES, type HostileInput } from "./hostile-inputs.js";

const port = parentPort!;
const root = await mkdtemp(join(os.tmpdir(), "feedpub-hostile-"));
const dynamo = await startLocalDynamo("hostile");
let peak = 0;
const sample = () => { peak = Math.max(peak, v8.getHeapStatistics().used_heap_size); };
const timer = setInterval(sample, 5);
try {
  const deps: IngestDeps = { store: new DynamoDbContentStore(dynamo.client, dynamo.tableName), source: new DirectoryContent(root) };
  let seq = 1;
  const put = async (key: string, body: Uint8Array | string, size?: number) => {
    const path = join(root, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
    if (size !== undefined) await truncate(path, size);
    return ingest(deps, { key, type: "put", seq: String(seq++).padStart(8, "0"), time: "2024-06-01T00:00:00.000Z" }, new Date("2024-06-01T00:00:00Z"));
  };
  const setup = [
    await put("site.yaml", "title: Hostile\nbaseUrl: https://feeds.example.com\n"),
    await put("authors/jane.md", "---\nname: Jane\n---\nBio.\n"),
  ];
  if (setup.some((r) => r.outcome !== "published")) throw new Error(`setup failed: ${JSON.stringify(setup)}`);
  const inputs: HostileInput[] = [...HOSTILE_SITES, ...HOSTILE_AUTHORS, ...HOSTILE_ARTICLES];
  for (const input of inputs) {
    const t = performance.now();
    let message: object;
    try {
      const r = await put(input.key, input.bytes(), input.fileSize);
      message = { name: input.name, outcome: r.outcome, problems: r.problems, ms: performance.now() - t };
    } catch (err) {
      message = { name: input.name, threw: String((err as Error).stack ?? err).slice(0, 2000) };
    }
    sample();
    port.postMessage(message);
  }
  // The pipeline still works afterwards.
  const ok = await put("articles/fine.md", "---\ntitle: Fine\nauthor: jane\ndate: 2024-05-01\n---\nStill here.\n");
  port.postMessage({ name: "a normal article afterwards", outcome: ok.outcome, problems: ok.problems });
} finally {
  clearInterval(timer);
  await dynamo.close();
  await rm(root, { recursive: true, force: true });
}
port.postMessage({ done: true, peakHeapMB: Math.round(peak / 2 ** 20) });
