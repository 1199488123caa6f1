import { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamEvent, S3Event } from "aws-lambda";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

/** s3rver in-process on a free loopback port; collects the S3 events it emits. */
export interface LocalS3 {
  readonly client: S3Client;
  readonly endpoint: string;
  /** Events emitted since the last `takeEvents()`. */
  takeEvents(): S3Event[];
  close(): Promise<void>;
}

export async function startS3(buckets: string[]): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), "feedpub-s3rver-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  let events: S3Event[] = [];
  server.on("event", (e: S3Event) => events.push(e));
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    // s3rver accepts only these credentials.
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    // With default checksums s3rver stores the aws-chunked framing of streamed bodies.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  return {
    client,
    endpoint,
    takeEvents: () => { const e = events; events = []; return e; },
    close: async () => {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * dynalite has no Streams. This records the keys of every item written through a
 * client (Put, Update, Delete, BatchWrite) and hands them out as a DynamoDB stream
 * event, which is what the publish handler reads on AWS (it only needs the keys).
 */
export function recordStream(client: DynamoDBClient): { take(): DynamoDBStreamEvent } {
  let keys: { pk: string; sk: string; name: "INSERT" | "MODIFY" | "REMOVE" }[] = [];
  client.middlewareStack.add((next, context) => async (args) => {
    const result = await next(args);
    const input = args.input as Record<string, any>;
    // The document client's commands are named PutCommand etc.; the base client's PutItemCommand.
    const op = String(context.commandName).replace(/^(Put|Update|Delete|BatchWrite)Command$/, "$1ItemCommand");
    if (op === "PutItemCommand") keys.push({ pk: input.Item.pk.S, sk: input.Item.sk.S, name: "MODIFY" });
    if (op === "UpdateItemCommand") keys.push({ pk: input.Key.pk.S, sk: input.Key.sk.S, name: "MODIFY" });
    if (op === "DeleteItemCommand") keys.push({ pk: input.Key.pk.S, sk: input.Key.sk.S, name: "REMOVE" });
    if (op === "BatchWriteItemCommand") {
      for (const requests of Object.values(input.RequestItems) as any[]) {
        for (const r of requests) {
          const k = r.PutRequest?.Item ?? r.DeleteRequest?.Key;
          keys.push({ pk: k.pk.S, sk: k.sk.S, name: r.PutRequest ? "MODIFY" : "REMOVE" });
        }
      }
    }
    return result;
  }, { step: "build", name: "recordStream" });
  return {
    take: () => {
      const records = keys.map((k, i) => ({
        eventID: String(i), eventName: k.name, eventSource: "aws:dynamodb", awsRegion: "us-east-1", eventVersion: "1.1",
        dynamodb: { Keys: { pk: { S: k.pk }, sk: { S: k.sk } }, SequenceNumber: String(i), StreamViewType: "NEW_AND_OLD_IMAGES" as const },
      }));
      keys = [];
      return { Records: records };
    },
  };
}

/** The error an injected fault throws (SDK-shaped, so adapters treat it as a service error). */
export class InjectedFault extends Error {
  override readonly name = "InjectedFault";
  readonly $metadata = { httpStatusCode: 503 };
  constructor(readonly command: string, readonly phase: "before" | "after") {
    super(`injected fault: ${command} ${phase === "before" ? "failed before reaching the service" : "succeeded but its response was lost"}`);
  }
}

export interface FaultRule {
  /** Base command name, e.g. `PutItemCommand`, `BatchWriteItemCommand`, `PutObjectCommand`. */
  readonly command: string;
  /** `before`: the call never reaches the service; `after`: it does, but the caller sees an error. */
  readonly phase?: "before" | "after";
  /** Only calls whose input matches. */
  readonly when?: (input: Record<string, any>) => boolean;
  /** Let this many matching calls through first. @default 0 */
  readonly skip?: number;
  /** How many matching calls fail. @default 1 */
  readonly times?: number;
}

/**
 * Fails chosen SDK calls of one client, below the adapter under test: the adapter and
 * the application code above it see exactly what a real outage looks like. Runs before
 * the SDK's own retries, like a fault that outlasted them.
 */
export function faultInjector(client: { middlewareStack: { add: (...args: any[]) => void } }) {
  let rules: { rule: FaultRule; seen: number; failed: number }[] = [];
  const injected: string[] = [];
  client.middlewareStack.add((next: (args: any) => Promise<any>, context: { commandName?: string }) => async (args: { input: Record<string, any> }) => {
    const command = String(context.commandName).replace(/^(Put|Update|Delete|Get|BatchWrite|BatchGet)Command$/, "$1ItemCommand");
    const hit = rules.find((r) => r.rule.command === command && (r.rule.when?.(args.input) ?? true) && r.failed < (r.rule.times ?? 1) && r.seen++ >= (r.rule.skip ?? 0));
    if (hit) hit.failed++;
    const phase = hit?.rule.phase ?? "before";
    if (hit && phase === "before") { injected.push(`${command} before`); throw new InjectedFault(command, phase); }
    const result = await next(args);
    if (hit) { injected.push(`${command} after`); throw new InjectedFault(command, phase); }
    return result;
  }, { step: "initialize", name: "faultInjector" });
  return {
    fail(rule: FaultRule): void { rules.push({ rule, seen: 0, failed: 0 }); },
    clear(): void { rules = []; },
    /** Faults thrown so far, e.g. `PutItemCommand after`. */
    injected,
  };
}

/** The partition key of a DynamoDB request's item or key, marshalled or not. */
export function pkOf(input: Record<string, any>): string {
  const k = input.Item?.pk ?? input.Key?.pk;
  return typeof k === "string" ? k : (k?.S ?? "");
}
