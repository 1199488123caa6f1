// What the ingest Lambda runs on every article, as an entry point for a bundle built
// with the Lambdas' esbuild options (test/lambdas/bundle.test.ts).
export { parseArticle } from "../../lambdas/core/content/index.js";
export { renderMarkdown, sanitize } from "../../lambdas/core/markdown.js";
