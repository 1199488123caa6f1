import { build } from "esbuild";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as source from "../../lambdas/core/markdown.js";
import { lambdaBuildOptions } from "../../lib/lambda-bundling.js";
import { BUNDLE_TARGET_BYTES } from "../../bench/bundles.js";

/**
 * The Lambda bundles alias `entities` (three majors → one), `htmlparser2` (its Parser
 * only) and `postcss` (a stub that throws). This builds the ingest path with exactly
 * those options and checks that sanitising and entity decoding give the same HTML as
 * the unbundled code, and that the ingest bundle stays below its size budget.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
let dir: string;
let bundled: typeof source;

const LIMITS = { maxTokens: 150_000, maxHtmlChars: 600_000 };
const BASE = "https://news.example.com/story/";

const MARKDOWN = [
  "Caf&eacute; &amp; bar &copy; &#x41;&#66; &nbsp;x &notanentity; &ampx &lt;b&gt; &unknown;",
  "[link](http://x.example/?a=1&amp;b=2 \"t&quot;itle\") <https://auto.example/?q=1&x=2>",
  "<p title=\"&lt;script&gt;\">raw &amp; <b>bold</b> &#0; &#x110000; &#xD800;</p>",
  "<img src=\"/a.jpg?x=1&amp;y=2\" alt=\"&lt;b&gt; &eacute;\" onerror=\"alert(1)\">",
  "<a href=\"jav&#x61;script:alert(1)\">x</a> <a href=\"&#106;avascript:alert(1)\">y</a> [z](JaVaScRiPt:alert(1))",
  "<script>alert(1)</script><style>p{}</style><div style=\"color:red\">styled</div>",
  "<svg><script>alert(1)</script></svg><math><mi xlink:href=\"javascript:alert(1)\">m</mi></math>",
  "<picture><source srcset=\"/a.webp 1x, b.webp 2x\"><img src=\"/a.jpg\"></picture>",
  "| a &amp; b | c |\n|---|---|\n| &lt;1&gt; | `&amp;` |",
  "اردو &zwnj; خبر &rlm; 🚀 &#128640;",
];

beforeAll(async () => {
  dir = await mkdtemp(join(os.tmpdir(), "feedpub-bundle-test-"));
  const outfile = join(dir, "smoke.mjs");
  await build({ ...lambdaBuildOptions(), mainFields: [...lambdaBuildOptions().mainFields], external: [...lambdaBuildOptions().external], entryPoints: [join(ROOT, "test/support/bundle-smoke-entry.ts")], outfile, logLevel: "error" });
  bundled = (await import(pathToFileURL(outfile).href)) as typeof source;
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the Lambdas' bundling options (lib/lambda-bundling.ts)", () => {
  it("bundled sanitising and entity decoding give the same HTML as the source", () => {
    for (const md of MARKDOWN) {
      const want = source.renderMarkdown(md, BASE, LIMITS);
      expect(bundled.renderMarkdown(md, BASE, LIMITS), md).toEqual(want);
    }
    const html = MARKDOWN.map((md) => (bundled.renderMarkdown(md, BASE, LIMITS) as { html: string }).html).join("\n");
    expect(html).toContain("Café &amp; bar © AB");
    expect(html).not.toMatch(/<script|onerror|href="javascript|src="javascript|style=/i);
    expect(html).toContain('srcset="https://news.example.com/a.webp 1x, https://news.example.com/story/b.webp 2x"');
  });

  it("raw HTML run through the bundled sanitiser alone matches too (htmlparser2's entity decoder)", () => {
    for (const html of ["<p>&eacute;&amp;&lt;&#x26;&#38;&AMP;&ampere;</p>", '<a href="/x?a=1&amp;b=2&lang=ur">l</a>', "<p>&#xFFFE;&#127;&#x1F680;</p>"]) {
      expect(bundled.sanitize(html, BASE)).toBe(source.sanitize(html, BASE));
    }
  });

  it("the ingest bundle (AWS SDK external, Powertools Logger and Metrics in, Tracer and the X-Ray SDK out) stays ~36 KB below 500 KB", async () => {
    const outfile = join(dir, "ingest.mjs");
    const o = lambdaBuildOptions();
    await build({ ...o, mainFields: [...o.mainFields], external: [...o.external], entryPoints: [join(ROOT, "lambdas/ingest.ts")], outfile, logLevel: "error" });
    const { size } = await stat(outfile);
    console.log(`ingest bundle: ${size} bytes`);
    expect(size + 36 * 1024).toBeLessThan(BUNDLE_TARGET_BYTES);
    const code = await readFile(outfile, "utf8");
    // Powertools is bundled (its EMF output is what CloudWatch reads)...
    expect(code).toContain("_aws");
    // ...but not Tracer and the X-Ray SDK (~125 KB): they come from the Powertools layer
    // (test/lambdas/layer.test.ts), named only as the external package the loader requires.
    expect(code).not.toMatch(/aws-xray-sdk|AWSXRay|AWS_XRAY_DAEMON_ADDRESS|cls-hooked/);
    expect(code).toContain('"@aws-lambda-powertools/tracer"');
  }, 120_000);
});
