import { GetObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { waitForReports } from "../../local/editor.js";

/** `waitForReports` alone, with the SDK mocked: what counts as a file's final report. */

const s3 = mockClient(S3Client);
const V = "a".repeat(64);
const OLD = "b".repeat(64);
const body = (text: string) => ({ Body: { transformToByteArray: async () => new TextEncoder().encode(text) } }) as never;
const noSuchKey = () => new S3ServiceException({ name: "NoSuchKey", $fault: "client", $metadata: { httpStatusCode: 404 }, message: "no" });
const fast = { firstDelayMs: 1, maxDelayMs: 5 };

beforeEach(() => s3.reset());

describe("waitForReports", () => {
  it("skips a report of older bytes and returns the one naming the uploaded version", async () => {
    s3.on(GetObjectCommand).resolvesOnce(body(`articles/x.md: published\nversion: ${OLD}\n`)).resolves(body(`articles/x.md: updated\nversion: ${V}\n`));
    const r = await waitForReports(new S3Client({}), "b", [{ key: "articles/x.md", version: V }], { timeoutMs: 2000, ...fast });
    expect(r.missing).toEqual([]);
    expect(r.reports.get("articles/x.md")).toMatchObject({ state: "updated", version: V });
  });

  it("a held report counts only when it still says held one poll after everything else settled", async () => {
    s3.on(GetObjectCommand, { Key: "_reports/articles/x.md.txt" })
      .resolvesOnce(body(`articles/x.md: held\nversion: ${V}\n`))
      .resolvesOnce(body(`articles/x.md: held\nversion: ${V}\n`))
      .resolves(body(`articles/x.md: published\nversion: ${V}\n`));
    const r = await waitForReports(new S3Client({}), "b", [{ key: "articles/x.md", version: V }], { timeoutMs: 2000, ...fast });
    expect(r.reports.get("articles/x.md")).toMatchObject({ state: "held" });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(2);
  });

  it("a read that fails mid-body is tried again; a removed file's target is done when its report is gone", async () => {
    s3.on(GetObjectCommand, { Key: "_reports/articles/x.md.txt" }).rejectsOnce(new Error("aborted")).resolves(body(`articles/x.md: published\nversion: ${V}\n`));
    s3.on(GetObjectCommand, { Key: "_reports/articles/old.md.txt" }).resolvesOnce(body(`articles/old.md: published\nversion: ${OLD}\n`)).rejects(noSuchKey());
    const r = await waitForReports(new S3Client({}), "b", [{ key: "articles/x.md", version: V }, { key: "articles/old.md", version: "gone" }], { timeoutMs: 2000, ...fast });
    expect(r.missing).toEqual([]);
    expect(r.reports.get("articles/x.md")).toMatchObject({ state: "published" });
    expect(r.reports.get("articles/old.md")).toBe("gone");
  });

  it("no report of this version by the deadline: missing; access denied: thrown at once", async () => {
    s3.on(GetObjectCommand).rejects(noSuchKey());
    const r = await waitForReports(new S3Client({}), "b", [{ key: "articles/x.md", version: V }], { timeoutMs: 50, ...fast });
    expect(r.missing).toEqual(["articles/x.md"]);
    s3.on(GetObjectCommand).rejects(new S3ServiceException({ name: "AccessDenied", $fault: "client", $metadata: { httpStatusCode: 403 }, message: "denied" }));
    await expect(waitForReports(new S3Client({}), "b", [{ key: "articles/x.md", version: V }], { timeoutMs: 5000, ...fast })).rejects.toThrow("denied");
  });
});
