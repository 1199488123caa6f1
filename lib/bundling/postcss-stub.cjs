// Stands in for postcss in the Lambda bundles. sanitize-html loads postcss at import time
// but calls it only to parse `style` attributes, which feedpub never allows (and
// `parseStyleAttributes: false` turns off), so the 90 KB of postcss and source-map-js are
// left out. If a future change does allow styles, this fails loudly instead of silently.
"use strict";
function notBundled() {
  throw new Error("postcss is not bundled into the feedpub Lambdas (lib/lambda-bundling.ts): style attributes must stay disallowed");
}
module.exports = { parse: notBundled, default: notBundled };
