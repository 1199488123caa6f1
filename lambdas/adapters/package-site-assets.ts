import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { SITE_ASSETS } from "../contracts/site-assets.js";
import type { SiteAssets, SiteFile } from "../core/ports.js";
import { siteFile } from "../core/site-files.js";

/** `SiteAssets` read from the installed npm packages: the local pipeline's (`dist/`). */
export class PackageSiteAssets implements SiteAssets {
  private loaded?: Promise<SiteFile[]>;

  async files(): Promise<readonly SiteFile[]> {
    // Read once per process: publish runs on every save while serving.
    this.loaded ??= Promise.all(SITE_ASSETS.map(async (a) => siteFile(a.path, await readFile(createRequire(import.meta.url).resolve(a.packageFile)))));
    return this.loaded;
  }
}
