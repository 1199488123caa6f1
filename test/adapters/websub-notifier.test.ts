import { CloudFrontClient, CreateInvalidationCommand, GetInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { mockClient } from "aws-sdk-client-mock";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudFrontInvalidator } from "../../lambdas/adapters/cloudfront-invalidator.js";
import { WebSubNotifier } from "../../lambdas/adapters/websub-notifier.js";

/** WebSub pings are real HTTP POSTs, received by a hub stub on loopback. */

interface Received { path: string; contentType: string; params: [string, string][] }
let hub: Server;
let base: string;
const received: Received[] = [];
let failuresLeft = 0;
/** Bytes the endless hub managed to send per request, and whether the client hung up. */
const streamed: { bytes: number; closed: boolean }[] = [];

/** Answers 200 and then sends a body without end, as fast as the socket takes it, or one byte at a time. */
function streamForever(res: import("node:http").ServerResponse, slow: boolean): void {
  const record = { bytes: 0, closed: false };
  streamed.push(record);
  res.writeHead(200, { "Content-Type": "text/plain" });
  const chunk = Buffer.alloc(slow ? 1 : 64 * 1024, 0x61);
  const timer = setInterval(() => {
    if (res.destroyed) return;
    // Write while the socket accepts; the client reading (or not) sets the pace.
    for (let i = 0; i < (slow ? 1 : 16) && res.write(chunk); i++) record.bytes += chunk.length;
  }, slow ? 50 : 1);
  res.on("close", () => { record.closed = true; clearInterval(timer); });
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text;
}

beforeAll(async () => {
  hub = createServer(async (req, res) => {
    const body = await bodyOf(req);
    received.push({ path: req.url ?? "", contentType: req.headers["content-type"] ?? "", params: [...new URLSearchParams(body)] });
    if (req.url === "/always-down") { res.statusCode = 503; res.end(); return; }
    if (req.url === "/endless") { streamForever(res, false); return; }
    if (req.url === "/trickle") { streamForever(res, true); return; }
    if (failuresLeft > 0) { failuresLeft--; res.statusCode = 500; res.end(); return; }
    res.statusCode = 204;
    res.end();
  });
  await new Promise<void>((r) => hub.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
});
afterAll(() => { hub.close(); });

describe("WebSubNotifier", () => {
  it("POSTs hub.mode=publish and every changed feed URL, form-encoded", async () => {
    received.length = 0;
    await new WebSubNotifier({ retryDelaysMs: [] }).notify([`${base}/hub`], ["https://f.example/feed.xml", "https://f.example/atom.xml"]);
    expect(received).toEqual([{
      path: "/hub",
      contentType: "application/x-www-form-urlencoded",
      params: [["hub.mode", "publish"], ["hub.url", "https://f.example/feed.xml"], ["hub.url", "https://f.example/atom.xml"]],
    }]);
  });

  it("retries a failing hub with backoff until it accepts", async () => {
    received.length = 0;
    failuresLeft = 2;
    await new WebSubNotifier({ retryDelaysMs: [10, 10, 10] }).notify([`${base}/hub`], ["https://f.example/feed.xml"]);
    expect(received).toHaveLength(3);
  });

  it("never throws: a hub that stays down or refuses connections is logged and reported as failed", async () => {
    const logs: string[] = [];
    const notifier = new WebSubNotifier({ retryDelaysMs: [10], log: (m) => logs.push(m) });
    await expect(notifier.notify([`${base}/always-down`, "http://127.0.0.1:1/hub"], ["https://f.example/feed.xml"])).resolves.toEqual([
      { hub: `${base}/always-down`, ok: false, attempts: 2, error: "HTTP 503" },
      { hub: "http://127.0.0.1:1/hub", ok: false, attempts: 2, error: expect.any(String) },
    ]);
    expect(logs).toEqual(expect.arrayContaining([
      expect.stringMatching(/always-down failed after 2 attempts: HTTP 503/),
      expect.stringMatching(/127\.0\.0\.1:1\/hub failed after 2 attempts/),
    ]));
    // ...and reported, hub by hub.
    const results = await notifier.notify([`${base}/always-down`, `${base}/hub`], ["https://f.example/feed.xml"]);
    expect(results).toEqual([
      { hub: `${base}/always-down`, ok: false, attempts: 2, error: "HTTP 503" },
      { hub: `${base}/hub`, ok: true, attempts: 1 },
    ]);
  });

  it("a hub that answers 200 and streams forever: a few KB are read, the body is cancelled, the ping ends at once", async () => {
    streamed.length = 0;
    const started = Date.now();
    const [result] = await new WebSubNotifier({ timeoutMs: 5000, retryDelaysMs: [] }).notify([`${base}/endless`], ["https://f.example/feed.xml"]);
    expect(result).toEqual({ hub: `${base}/endless`, ok: true, attempts: 1 });
    expect(Date.now() - started).toBeLessThan(2000);
    await expect.poll(() => streamed[0]?.closed, { timeout: 2000 }).toBe(true);
    // What the socket buffers took before the hang-up, not the hundreds of MB a full read would.
    expect(streamed[0]!.bytes).toBeLessThan(32 * 2 ** 20);
  });

  it("a hub whose answer does not end within the timeout has failed: retried, then reported, never thrown", async () => {
    streamed.length = 0;
    const logs: string[] = [];
    const started = Date.now();
    const [result] = await new WebSubNotifier({ timeoutMs: 300, retryDelaysMs: [10], log: (m) => logs.push(m) }).notify([`${base}/trickle`], ["https://f.example/feed.xml"]);
    expect(result).toEqual({ hub: `${base}/trickle`, ok: false, attempts: 2, error: "no complete answer within 300 ms" });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(logs).toEqual([expect.stringMatching(/trickle failed after 2 attempts: no complete answer within 300 ms/)]);
    await expect.poll(() => streamed.every((s) => s.closed), { timeout: 2000 }).toBe(true);
    expect(streamed).toHaveLength(2);
  });
});

describe("CloudFrontInvalidator", () => {
  const cf = mockClient(CloudFrontClient);

  it("creates one invalidation of the encoded paths and waits for it to complete", async () => {
    cf.reset();
    cf.on(CreateInvalidationCommand).resolves({ Invalidation: { Id: "I1", Status: "InProgress", CreateTime: new Date(), InvalidationBatch: undefined as never } });
    cf.on(GetInvalidationCommand).resolvesOnce({ Invalidation: { Id: "I1", Status: "InProgress" } as never }).resolves({ Invalidation: { Id: "I1", Status: "Completed" } as never });
    await new CloudFrontInvalidator(new CloudFrontClient({ region: "us-east-1" }), "E1", { maxWaitSeconds: 30, pollDelaySeconds: { min: 0.01, max: 0.02 } }).invalidate(["/feed.xml", "/categories/اردو/feed.xml"], "ref-1");
    // Many paths: one wildcard, billed as one path.
    await new CloudFrontInvalidator(new CloudFrontClient({ region: "us-east-1" }), "E1", { maxWaitSeconds: 0 }).invalidate(["/a", "/b", "/c", "/d", "/e", "/f"], "ref-2");
    expect(cf).toHaveReceivedCommandWith(CreateInvalidationCommand, { InvalidationBatch: { CallerReference: "ref-2", Paths: { Quantity: 1, Items: ["/*"] } } });
    expect(cf).toHaveReceivedCommandWith(CreateInvalidationCommand, {
      DistributionId: "E1",
      InvalidationBatch: { CallerReference: "ref-1", Paths: { Quantity: 2, Items: ["/feed.xml", `/categories/${encodeURIComponent("اردو")}/feed.xml`] } },
    });
    expect(cf).toHaveReceivedCommandWith(GetInvalidationCommand, { DistributionId: "E1", Id: "I1" });
  }, 30_000);
});
