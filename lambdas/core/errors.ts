/** Named errors, so callers branch on type rather than on message text. */

/** An event older than what the store already holds for the same source key. */
export class StaleEventError extends Error {
  override readonly name = "StaleEventError";
  constructor(readonly key: string, options?: { cause?: unknown }) {
    super(`${key}: a newer version is already stored; this event is stale`, options);
  }
}

/** Another live source file already owns the slug. */
export class DuplicateSlugError extends Error {
  override readonly name = "DuplicateSlugError";
  constructor(readonly key: string, readonly slug: string, readonly owner: string, options?: { cause?: unknown }) {
    super(`${key}: slug "${slug}" already belongs to ${owner}`, options);
  }
}

/** The site has no valid site.yaml yet, so nothing can be rendered. */
export class SiteNotConfiguredError extends Error {
  override readonly name = "SiteNotConfiguredError";
  constructor() {
    super("site.yaml has not been ingested yet: upload a valid site.yaml first");
  }
}

/** Configuration missing or wrong; lists every problem at once. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}
