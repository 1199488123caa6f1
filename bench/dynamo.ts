import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** A `startLocalDynamo()` running in a child process (see dynamo-server.ts), and a client to it. */
export interface BenchDynamo {
  readonly endpoint: string;
  readonly tableName: string;
  readonly client: DynamoDBClient;
  readonly pid: number;
  close(): Promise<void>;
}

export function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: "local", credentials: { accessKeyId: "local", secretAccessKey: "local" }, maxAttempts: 5 });
}

export async function startDynamoProcess(tableName: string, heapMB = 12_288): Promise<BenchDynamo> {
  const script = fileURLToPath(new URL("./dynamo-server.ts", import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [`--max-old-space-size=${heapMB}`, "--import", "tsx", script, tableName], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", (l) => { rl.close(); resolve(l); });
    child.once("exit", (code) => reject(new Error(`dynalite process exited (${code}) before it was ready`)));
    child.once("error", reject);
  });
  const { endpoint } = JSON.parse(line) as { endpoint: string };
  const client = clientFor(endpoint);
  return {
    endpoint, tableName, client, pid: child.pid!,
    close: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin?.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
