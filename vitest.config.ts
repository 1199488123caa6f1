import { defineConfig } from "vitest/config";

/**
 * Projects. `unit`: pure core, use cases and handlers on memory adapters or SDK mocks,
 * nothing started; seconds, for the inner loop (`npm run test:unit`). `integration`:
 * everything that starts dynalite, s3rver, a server, a process or Chromium, or bundles
 * the CDK stack. `npm test` runs both.
 */
const UNIT = [
  "test/core/**/*.test.ts",
  "test/app/**/*.test.ts",
  "test/lambdas/**/*.test.ts",
  // Adapter tests that need no emulator: SDK mocks, a loopback stub, memory adapters.
  "test/adapters/websub-notifier.test.ts",
  "test/adapters/memory-*.test.ts",
  "test/adapters/s3-reports.test.ts",
  // The editor's report polling with the SDK mocked; the documented CI workflow, parsed.
  "test/local/editor-wait.test.ts",
  "test/docs/**/*.test.ts",
];
/** Under those folders, but they start dynalite in a worker or run esbuild: integration. */
const NOT_UNIT = ["test/app/hostile-ingest.test.ts", "test/lambdas/bundle.test.ts", "test/lambdas/layer.test.ts"];
/**
 * Randomised searches (fast-check) over the memory adapters: seconds to tens of seconds
 * each, so `npm test` runs them and the inner loop does not.
 */
const PROPERTY = ["test/app/converge.property.test.ts", "test/app/archive.property.test.ts", "test/app/attack-fuzz.test.ts", "test/core/formats/property.test.ts"];

export default defineConfig({
  test: {
    setupFiles: ["test/support/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Two cores: the emulators and the CDK bundling tests run in their own forks.
    pool: "forks",
    maxWorkers: 2,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", CDK_DISABLE_CLI_TELEMETRY: "true" },
    projects: [
      { extends: true, test: { name: "unit", include: UNIT, exclude: [...NOT_UNIT, ...PROPERTY] } },
      { extends: true, test: { name: "property", include: PROPERTY } },
      { extends: true, test: { name: "integration", include: ["test/**/*.test.ts"], exclude: UNIT } },
      { extends: true, test: { name: "integration-workers", include: NOT_UNIT } },
    ],
  },
});
