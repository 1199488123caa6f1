
/**
 * Environment variable names, defined once: the CDK stack sets them (`lib/`) and the
 * handlers read them with `readConfig`, so the two can't drift.
 */
export const ENV = {
  tableName: "TABLE_NAME",
  contentBucket: "CONTENT_BUCKET",
  siteBucket: "SITE_BUCKET",
  distributionId: "DISTRIBUTION_ID",
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

/** Configuration missing or wrong; lists every problem at once. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}
