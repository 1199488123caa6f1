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
