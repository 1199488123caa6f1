import { assertJsonFeed11, child, children, parseXmlStrict, type XmlElement } from "./parsers.js";

/**
 * RFC 5005 archive chains, followed the way a reader catching up would: from the
 * current feed back through prev-archive (Atom, RSS) or next_url (JSON Feed).
 */

export interface Step {
  readonly ids: string[];
  readonly next?: string;
}

/** Follows a chain from `start`; returns every id found, in order, and how many documents. */
export async function walk(start: string, read: (url: string) => Promise<string>, step: (doc: string) => Step): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  const seen = new Set<string>();
  let url: string | undefined = start;
  while (url) {
    if (seen.has(url)) throw new Error(`archive loop at ${url}`);
    seen.add(url);
    const r = step(await read(url));
    ids.push(...r.ids);
    url = r.next;
  }
  return { ids, pages: seen.size };
}

export const link = (el: XmlElement, name: string, rel: string) => children(el, name).find((l) => l.attributes.rel === rel)?.attributes.href;

export const atomStep = (text: string): Step => {
  const feed = parseXmlStrict(text);
  return { ids: children(feed, "entry").map((e) => child(e, "id").text), next: link(feed, "link", "prev-archive") };
};

export const rssStep = (text: string): Step => {
  const channel = child(parseXmlStrict(text), "channel");
  return { ids: children(channel, "item").map((i) => child(i, "guid").text), next: link(channel, "atom:link", "prev-archive") };
};

export const jsonStep = (text: string): Step => {
  const doc = assertJsonFeed11(text) as { items: { id: string }[]; next_url?: string };
  return { ids: doc.items.map((i) => i.id), next: doc.next_url };
};
