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

/** Another publisher holds the publish lease and did not let go in time; retry later. */
export class LeaseBusyError extends Error {
  override readonly name = "LeaseBusyError";
  constructor(readonly holder: string | undefined, waitedMs: number) {
    super(`another publisher (${holder ?? "unknown"}) held the publish lease for ${waitedMs} ms; this publish will be retried`);
  }
}

/**
 * This publisher's lease expired and another publisher may have taken over, so it
 * stops before writing anything more (its data may be older than the other's).
 */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
  constructor(readonly owner: string) {
    super(`publisher ${owner} lost its publish lease; it stopped writing and will be retried`);
  }
}

/** Another ingest wrote the slug's record since it was read: read it again and retry. */
export class VersionConflictError extends Error {
  override readonly name = "VersionConflictError";
  constructor(readonly slug: string, readonly expectedVer: number, options?: { cause?: unknown }) {
    super(`article "${slug}" changed since version ${expectedVer} was read`, options);
  }
}
