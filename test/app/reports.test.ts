import { describe, expect, it } from "vitest";
import { sha256 } from "../../lambdas/app/hash.js";
import { MemoryReports } from "../../lambdas/adapters/memory-reports.js";
import { fileReport, parseReport, reportText } from "../../lambdas/app/reports.js";
import { articleText } from "../support/builders.js";
import { AUTHOR_MD, memoryPipeline, SITE_YAML } from "../support/memory-pipeline.js";

/**
 * The editor's report is a format: people read it in the S3 console, `feedpub upload
 * --wait` and `feedpub status` read its first two lines. Ingest's clock here is
 * 2024-06-01T00:00:00Z.
 */

async function ready() {
  const p = memoryPipeline();
  await p.put("site.yaml", SITE_YAML);
  await p.put("authors/jane-doe.md", AUTHOR_MD);
  return p;
}

const article = (extra: Record<string, unknown> = {}) =>
  articleText({ frontMatter: { title: "T", author: "jane-doe", date: "2024-05-01 10:00", ...extra } });

describe("the editor's report", () => {
  it("names the state and the SHA-256 of the reported bytes in its first two lines", async () => {
    const p = await ready();
    const body = article();
    const r = await p.put("articles/x.md", body);
    expect(reportText(r)).toBe(`articles/x.md: published\nversion: ${sha256(body)}\n`);
    expect(parseReport(reportText(r))).toEqual({ key: "articles/x.md", state: "published", version: sha256(body), details: [] });
  });

  it("an article dated after now: scheduled for its date; a draft: draft", async () => {
    const p = await ready();
    const later = article({ date: "2024-12-01 09:00" });
    const scheduled = await p.put("articles/later.md", later);
    expect(scheduled).toMatchObject({ outcome: "published", scheduledFor: "2024-12-01T09:00:00.000Z" });
    expect(reportText(scheduled)).toBe(`articles/later.md: scheduled for 2024-12-01T09:00:00Z\nversion: ${sha256(later)}\n`);
    expect(parseReport(reportText(scheduled))).toMatchObject({ state: "scheduled", scheduledFor: "2024-12-01T09:00:00Z" });

    const draft = await p.put("articles/draft.md", article({ draft: true }));
    expect(draft).toMatchObject({ outcome: "removed", draft: true });
    expect(reportText(draft).split("\n")[0]).toBe("articles/draft.md: draft");
    expect(parseReport(reportText(draft))?.state).toBe("draft");
  });

  it("a held file says what it waits for; a released one carries its own version", async () => {
    const p = await ready();
    const body = article({ author: "newbie" });
    const held = await p.put("articles/early.md", body);
    const text = reportText(held);
    expect(parseReport(text)).toEqual({
      key: "articles/early.md", state: "held", version: sha256(body),
      details: ['articles/early.md: warning in author: waiting for author "newbie". Fix: add authors/newbie.md; this file is published then, with no new upload'],
    });
    const author = await p.put("authors/newbie.md", "---\nname: New\n---\n");
    expect(author.version).toBe(sha256("---\nname: New\n---\n"));
    expect(author.also).toEqual([expect.objectContaining({ key: "articles/early.md", outcome: "published", version: sha256(body) })]);
  });

  it("a rejected file: its problems, the advice, and its version", async () => {
    const p = await ready();
    const r = await p.put("articles/bad.md", "---\ntitle: x\n---\n");
    const parsed = parseReport(reportText(r));
    expect(parsed).toMatchObject({ state: "rejected", version: sha256("---\ntitle: x\n---\n") });
    expect(parsed?.details.at(-1)).toBe("The last accepted version of this file stays published.");
    expect(parsed?.details[0]).toMatch(/^articles\/bad\.md: error in author: is missing/);
  });

  it("reads keys with spaces and colons, and reports written before versions; refuses other text", () => {
    expect(parseReport("articles/a: b.md: updated\n")).toEqual({ key: "articles/a: b.md", state: "updated", details: [] });
    expect(parseReport("hello\n")).toBeUndefined();
    expect(parseReport("articles/x.md: maybe\n")).toBeUndefined();
  });

  it("a deleted file's report goes, even when its delete changed nothing (a rejected twin); stale and gone events leave it", async () => {
    const sink = new MemoryReports();
    const p = await ready();
    await p.put("authors/jane.md", "---\nname: Jane\n---\n");
    const twin = await p.put("authors/Jane.md", "---\nname: Jane twin\n---\n");
    await fileReport(sink, twin);
    expect(sink.reports.get("authors/Jane.md")).toMatch(/^authors\/Jane\.md: rejected\n/);
    const removed = await p.remove("authors/Jane.md");
    expect(removed).toMatchObject({ outcome: "ignored", fileGone: true });
    await fileReport(sink, removed);
    expect(sink.reports.has("authors/Jane.md")).toBe(false);

    await sink.put("articles/x.md", "articles/x.md: published\n");
    await fileReport(sink, { key: "articles/x.md", outcome: "stale", problems: [] });
    await fileReport(sink, { key: "articles/x.md", outcome: "gone", problems: [] });
    expect(sink.reports.get("articles/x.md")).toBe("articles/x.md: published\n");
  });
});
