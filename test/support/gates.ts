import type { ContentStore } from "../../lambdas/core/ports.js";

/** A promise and its resolver. */
export function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

/**
 * The store, with `method` held at a gate the first time it is called (before it runs):
 * `reached` resolves when a caller arrives there, `gate.resolve()` lets it go on. The
 * tests play another ingest or publish in between, as a stalled Lambda would see it.
 */
export function gatedStore(store: ContentStore, method: keyof ContentStore) {
  const gate = deferred();
  const reached = deferred();
  let held = false;
  const proxy = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      if (prop !== method) return value.bind(target);
      return async (...args: unknown[]) => {
        if (!held) { held = true; reached.resolve(); await gate.promise; }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, gate, reached };
}

/** The store, throwing once right after `method` took effect (a crash after the call). */
export function crashAfter(store: ContentStore, method: keyof ContentStore): ContentStore {
  let armed = true;
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      if (prop !== method) return value.bind(target);
      return async (...args: unknown[]) => {
        const r = await (value as (...a: unknown[]) => unknown).apply(target, args);
        if (armed) { armed = false; throw new Error(`crash after ${String(method)}`); }
        return r;
      };
    },
  });
}
