import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The esbuild options of the Lambda bundles, defined once: `FeedFunction` passes them
 * to `NodejsFunction`, `bench/bundles.ts` measures with them, and
 * `test/lambdas/bundle.test.ts` runs sanitising and Markdown rendering through a bundle
 * built with them. Kept free of CDK imports so the bench and the test load it quickly.
 */

const PROJECT_ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Some CommonJS dependencies call `require` at run time; ESM has none. */
export const BUNDLE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * Left out of the bundles, found at run time:
 * - `@aws-sdk/*`: the Node 22 runtime ships AWS SDK v3; leaving it out takes the publish
 *   bundle from ~1 MB to ~70 KB and cuts cold starts (README, Performance);
 * - Powertools Tracer and the X-Ray SDK under it (~125 KB, which would take ingest past
 *   500 KB): from the Powertools layer both functions get (`POWERTOOLS_LAYER_PARAMETER`),
 *   loaded by lambdas/adapters/powertools-tracer.ts. Logger and Metrics stay bundled.
 */
export const BUNDLE_EXTERNALS = ["@aws-sdk/*", "@aws-lambda-powertools/tracer", "aws-xray-sdk-core"] as const;

/**
 * The Powertools for AWS Lambda (TypeScript) version: the exact pin of
 * `@aws-lambda-powertools/tracer` in package.json, which must equal Logger's and Metrics'
 * (test/lambdas/layer.test.ts). The layer is this same version, so what runs on Lambda is
 * what the tests ran.
 */
export function powertoolsVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const version = pkg.dependencies["@aws-lambda-powertools/tracer"] ?? "";
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`lambda-bundling: @aws-lambda-powertools/tracer must be pinned to an exact version in package.json, not "${version}"`);
  return version;
}

/**
 * The public SSM parameter whose value is the ARN of the official Powertools layer of
 * that version in the deploying region (docs.aws.amazon.com/powertools/typescript,
 * "Lambda layers"; the layer holds Logger, Metrics, Tracer, the X-Ray SDK and more under
 * `nodejs/node_modules`). CloudFormation resolves it at deploy time.
 */
export function powertoolsLayerParameter(version = powertoolsVersion()): string {
  return `/aws/service/powertools/typescript/generic/all/${version}`;
}

/**
 * The one copy of `entities` that every HTML package in the ingest bundle shares.
 * markdown-it (entities 8), htmlparser2 (7, sanitize-html's parser) and dom-serializer
 * (4) each pin their own major, three copies of the same decode tables (~145 KB). The
 * APIs they use are in 7: markdown-it `decodeHTMLStrict`; dom-serializer `encodeXML`,
 * `escapeAttribute`, `escapeText`; htmlparser2 `entities/decode` (`EntityDecoder`,
 * `fromCodePoint`, which 8 dropped, hence 7 and not 8). 7's ESM build, found from
 * htmlparser2 so a re-hoisting of node_modules cannot silently pick another copy.
 */
function entitiesV7(): { root: string; decode: string } {
  const require = createRequire(path.join(PROJECT_ROOT, "package.json"));
  const fromParser = createRequire(require.resolve("htmlparser2")).resolve("entities/decode");
  const dist = fromParser.replace(/[\\/]dist[\\/]commonjs[\\/]decode\.js$/, `${path.sep}dist${path.sep}esm`);
  const paths = { root: path.join(dist, "index.js"), decode: path.join(dist, "decode.js") };
  for (const p of Object.values(paths)) {
    if (!existsSync(p)) throw new Error(`lambda-bundling: expected htmlparser2's entities ESM build at ${p}; check the entities alias against node_modules`);
  }
  return paths;
}

/**
 * htmlparser2's streaming `Parser` alone. sanitize-html uses only `new htmlparser.Parser`
 * (index.js:229), but htmlparser2's index also loads domhandler, domutils and
 * dom-serializer for DOM building and feed parsing (~25 KB) that nothing here calls.
 */
function htmlparser2Parser(): string {
  const require = createRequire(path.join(PROJECT_ROOT, "package.json"));
  const main = require.resolve("htmlparser2");
  const parser = main.replace(/[\\/]dist[\\/]commonjs[\\/]index\.js$/, `${path.sep}dist${path.sep}esm${path.sep}Parser.js`);
  if (!existsSync(parser) || parser === main) throw new Error(`lambda-bundling: expected htmlparser2's Parser at ${parser}; check the htmlparser2 alias against node_modules`);
  return parser;
}

/**
 * esbuild loaders by file extension. `file`: the static assets publish writes (the Urdu
 * font, `lambdas/adapters/bundled-site-assets.ts`) are copied beside the bundle, into
 * the Lambda's code package, and imported as their relative path: the JavaScript stays
 * small (a `binary` loader would inline 159 KB of font as 212 KB of base64).
 */
export const BUNDLE_LOADERS: Readonly<Record<string, "file">> = { ".woff2": "file" };

/** esbuild `alias`: import path → file. Checked on the bundled code by test/lambdas/bundle.test.ts. */
export function bundleAliases(): Record<string, string> {
  const entities = entitiesV7();
  return {
    entities: entities.root,
    "entities/decode": entities.decode,
    htmlparser2: htmlparser2Parser(),
    postcss: path.join(PROJECT_ROOT, "lib/bundling/postcss-stub.cjs"),
  };
}

/** The esbuild options every Lambda bundle is built with (the same as `NodejsFunction` gets). */
export function lambdaBuildOptions() {
  return {
    bundle: true,
    minify: true,
    platform: "node",
    target: "node22",
    format: "esm",
    mainFields: ["module", "main"],
    banner: { js: BUNDLE_BANNER },
    external: [...BUNDLE_EXTERNALS],
    alias: bundleAliases(),
    loader: { ...BUNDLE_LOADERS },
  } as const;
}
