import { build } from "esbuild";
import { readdir, readFile, mkdtemp, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BundledSiteAssets } from "../../lambdas/adapters/bundled-site-assets.js";
import { PackageSiteAssets } from "../../lambdas/adapters/package-site-assets.js";
import { URDU_FONT } from "../../lambdas/contracts/paths.js";
import { SITE_ASSETS } from "../../lambdas/contracts/site-assets.js";
import { CACHE_IMMUTABLE } from "../../lambdas/core/site-files.js";
import { lambdaBuildOptions } from "../../lib/lambda-bundling.js";

/**
 * The static assets publish writes (the Urdu font) reach the site on both hosts: read
 * from node_modules locally, and from beside the Lambda bundle on AWS, built here with
 * the Lambdas' own esbuild options (lib/lambda-bundling.ts).
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const require = createRequire(import.meta.url);
const fontSource = SITE_ASSETS.find((a) => a.path === URDU_FONT)!.packageFile;
let dir: string;

async function bundle(entry: string, outfile: string): Promise<void> {
  const { external, mainFields, ...options } = lambdaBuildOptions();
  await build({ ...options, external: [...external], mainFields: [...mainFields], entryPoints: [join(ROOT, entry)], outfile, logLevel: "error" });
}

beforeAll(async () => {
  dir = await mkdtemp(join(os.tmpdir(), "feedpub-assets-test-"));
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("site assets", () => {
  it("the font's public name carries the installed package's version (it is cached as immutable)", async () => {
    const pkg = JSON.parse(await readFile(require.resolve("@fontsource/noto-nastaliq-urdu/package.json"), "utf8")) as { version: string };
    expect(URDU_FONT).toBe(`fonts/noto-nastaliq-urdu-${pkg.version}-arabic-400.woff2`);
  });

  it("locally: read from node_modules, as woff2 with a year-long immutable cache", async () => {
    const [font] = await new PackageSiteAssets().files();
    const want = await readFile(require.resolve(fontSource));
    expect(font).toMatchObject({ path: URDU_FONT, contentType: "font/woff2", cacheControl: CACHE_IMMUTABLE });
    expect(Buffer.from(font!.body).equals(want)).toBe(true);
    // A woff2 file (magic `wOF2`), the Arabic subset: well under the full font's 500 KB.
    expect(want.subarray(0, 4).toString("latin1")).toBe("wOF2");
    expect(want.length).toBeLessThan(200 * 1024);
  });

  it("on AWS: the bundled module reads the font copied beside the bundle; the JavaScript does not carry it", async () => {
    const outfile = join(dir, "assets", "index.mjs");
    await bundle("lambdas/adapters/bundled-site-assets.ts", outfile);
    const emitted = (await readdir(join(dir, "assets"))).filter((f) => f.endsWith(".woff2"));
    expect(emitted).toHaveLength(1);
    expect((await stat(outfile)).size).toBeLessThan(10 * 1024);
    const mod = (await import(pathToFileURL(outfile).href)) as { BundledSiteAssets: typeof BundledSiteAssets };
    const files = await new mod.BundledSiteAssets().files();
    expect(files.map((f) => [f.path, f.contentType, f.cacheControl])).toEqual(SITE_ASSETS.map((a) => [a.path, "font/woff2", CACHE_IMMUTABLE]));
    expect(Buffer.from(files[0]!.body).equals(await readFile(require.resolve(fontSource)))).toBe(true);
  });

  it("the publish handler's bundle takes the font along (its dynamic import is bundled, the file emitted beside it)", async () => {
    const outfile = join(dir, "publish", "index.mjs");
    await bundle("lambdas/publish.ts", outfile);
    expect((await readdir(join(dir, "publish"))).filter((f) => f.endsWith(".woff2"))).toHaveLength(1);
    const js = await readFile(outfile, "utf8");
    expect(js).toMatch(/noto-nastaliq-urdu-arabic-400-normal-[A-Z0-9]+\.woff2/);
  });
});
