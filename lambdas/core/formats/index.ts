import { renderAtom } from "./atom.js";
import type { FeedInput } from "./input.js";
import { renderJsonFeed } from "./json-feed.js";
import { renderRss } from "./rss.js";

/**
 * The feed-format layer: one module per format, each built with the `feed` package and
 * completed where feed 6.0.0 falls short (see each module). Every string reaches the
 * documents cleaned of XML-forbidden characters and escaped by us (`tokens.ts`); every
 * post-processing step throws `FeedLayoutError` when feed's output is not the one it was
 * written for. No clock: equal input gives equal bytes.
 */

export type { FeedInput } from "./input.js";
export { FeedLayoutError, FeedUrlError } from "./tokens.js";

export interface FeedDocuments {
  readonly rss: string;
  readonly atom: string;
  readonly json: string;
}

export function renderFeed(input: FeedInput): FeedDocuments {
  return { rss: renderRss(input), atom: renderAtom(input), json: renderJsonFeed(input) };
}
