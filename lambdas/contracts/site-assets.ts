import { URDU_FONT } from "./paths.js";

/**
 * The site's static assets, defined once: their public path and the package file each
 * is copied from. Locally they are read from node_modules
 * (`adapters/package-site-assets.ts`), on AWS from beside the Lambda bundle
 * (`adapters/bundled-site-assets.ts`); publish writes them either way.
 */
export interface SiteAssetSource {
  /** Where the site serves it (see `contracts/paths.ts`). */
  readonly path: string;
  /** The file in its npm package, as `require.resolve` takes it. */
  readonly packageFile: string;
}

export const SITE_ASSETS: readonly SiteAssetSource[] = [
  // Fontsource's Arabic-script subset of Noto Nastaliq Urdu 400 (159 KB; the full font
  // adds Latin, which pages take from the system font). OFL-1.1, see README.
  { path: URDU_FONT, packageFile: "@fontsource/noto-nastaliq-urdu/files/noto-nastaliq-urdu-arabic-400-normal.woff2" },
];
