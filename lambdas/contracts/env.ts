
/**
 * Environment variable names, defined once: the CDK stack sets them (`lib/`) and the
 * handlers read them with `readConfig`, so the two can't drift.
 */
export const ENV = {
  tableName: "TABLE_NAME",
  contentBucket: "CONTENT_BUCKET",
  siteBucket: "SITE_BUCKET",
  distributionId: "DISTRIBUTION_ID",
  /** Optional: above this many changed paths publish invalidates `/*` (CloudFrontInvalidator's `maxExactPaths`). */
  maxExactPaths: "INVALIDATION_MAX_EXACT_PATHS",
} as const;

export type ConfigKey = keyof typeof ENV;

/** Where ingest writes an editor's report for each content key (`_reports/<key>.txt`); never ingested. */
export const REPORT_PREFIX = "_reports/";

/** Reads the named settings; throws one error listing every missing variable. */
export function readConfig<K extends ConfigKey>(env: Record<string, string | undefined>, keys: readonly K[]): Record<K, string> {
  const missing = keys.filter((k) => !env[ENV[k]]?.trim());
  if (missing.length > 0) {
    throw new ConfigError(`missing environment variable${missing.length > 1 ? "s" : ""}: ${missing.map((k) => ENV[k]).join(", ")}`);
  }
  return Object.fromEntries(keys.map((k) => [k, env[ENV[k]]!.trim()])) as Record<K, string>;
}

/**
 * Reads an optional non-negative integer setting: `undefined` when the variable is unset
 * or empty (the adapter's default applies), a `ConfigError` naming the variable when it
 * is set to anything else.
 */
export function readOptionalInteger(env: Record<string, string | undefined>, key: ConfigKey): number | undefined {
  const raw = env[ENV[key]]?.trim();
  if (!raw) return undefined;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${ENV[key]}=${JSON.stringify(raw)}: expected a non-negative integer`);
  return Number(raw);
}

/** Configuration missing or wrong; lists every problem at once. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}
