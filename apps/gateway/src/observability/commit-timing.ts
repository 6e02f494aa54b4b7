import type { Store } from '@llmteam/core';

/** Where a timed store keeps its commit observers (see {@link withCommitTiming}). */
export const COMMIT_OBSERVERS = Symbol.for('llmteam.commitObservers');

/** Called after each store commit with its duration in seconds and whether it succeeded. */
export type CommitObserver = (seconds: number, ok: boolean) => void;

/**
 * The same store, with `commit` timed for the observers registered on it (the gateway's
 * `/metrics`). Everything else passes through untouched.
 */
export function withCommitTiming(store: Store): Store {
  const observers = new Set<CommitObserver>();
  const timed =
    (commit: Store['commit']): Store['commit'] =>
    async (...args) => {
      const start = process.hrtime.bigint();
      let ok = false;
      try {
        const result = await commit.apply(store, args);
        ok = true;
        return result;
      } finally {
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        for (const observe of observers) observe(seconds, ok);
      }
    };
  // Methods are bound once, not on every access: the engine calls the store on every transition.
  const bound = new Map<PropertyKey, { fn: unknown; wrapped: unknown }>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === COMMIT_OBSERVERS) return observers;
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const cached = bound.get(prop);
      if (cached && cached.fn === value) return cached.wrapped;
      const wrapped = prop === 'commit' ? timed(value as Store['commit']) : value.bind(target);
      bound.set(prop, { fn: value, wrapped });
      return wrapped;
    },
  });
}

/** The commit observers of a store made by {@link withCommitTiming}, if it is one. */
export function commitObservers(store: Store): Set<CommitObserver> | undefined {
  return (store as unknown as Record<symbol, Set<CommitObserver> | undefined>)[COMMIT_OBSERVERS];
}
