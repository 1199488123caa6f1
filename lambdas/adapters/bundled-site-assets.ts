import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
// esbuild's `file` loader (lib/lambda-bundling.ts) copies the font beside the bundle: the
// Lambda's code package carries it, the bundle's JavaScript does not (no base64 inflation).
import urduFont from "@fontsource/noto-nastaliq-urdu/files/noto-nastaliq-urdu-arabic-400-normal.woff2";
import { SITE_ASSETS } from "../contracts/site-assets.js";
import type { SiteAssets, SiteFile } from "../core/ports.js";
import { siteFile } from "../core/site-files.js";

/**
 * `SiteAssets` from the Lambda bundle: the publish function's. Only a bundle can load
 * this module (Node has no loader for `.woff2`); the handler imports it on first use.
 */

/** Each package file of `SITE_ASSETS`, as bundled: its path relative to the bundle. */
const BUNDLED: Readonly<Record<string, string>> = {
  "@fontsource/noto-nastaliq-urdu/files/noto-nastaliq-urdu-arabic-400-normal.woff2": urduFont,
};

let loaded: Promise<SiteFile[]> | undefined;

export class BundledSiteAssets implements SiteAssets {
  async files(): Promise<readonly SiteFile[]> {
    // Read once per container: every publish hashes them against the stored copies.
    loaded ??= Promise.all(SITE_ASSETS.map(async (a) => {
      const bundled = BUNDLED[a.packageFile];
      if (!bundled) throw new Error(`BundledSiteAssets: ${a.packageFile} is in SITE_ASSETS but not imported here; add an import for it`);
      return siteFile(a.path, await readFile(new URL(bundled, import.meta.url)).catch(async (err: NodeJS.ErrnoException) => {
        // Not bundled (the handler under test, run from source): the installed package has it.
        if (err.code !== "ENOENT") throw err;
        return readFile(createRequire(import.meta.url).resolve(a.packageFile));
      }));
    }));
    return loaded;
  }
}
