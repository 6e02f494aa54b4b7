import { monotonicFactory } from 'ulid';

/** Produces unique, sortable ids. Inject a deterministic one in tests. */
export type IdGenerator = (prefix?: string) => string;

/** ULID-based ids (time-ordered), optionally prefixed: `run_01J...`. */
export function createUlidGenerator(now: () => number = Date.now): IdGenerator {
  const next = monotonicFactory();
  return (prefix) => (prefix ? `${prefix}_${next(now())}` : next(now()));
}
