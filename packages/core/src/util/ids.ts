import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/** Produces unique, sortable ids. Inject a deterministic one in tests. */
export type IdGenerator = (prefix?: string) => string;

/**
 * A cryptographic PRNG that draws from a pooled buffer: one `randomFillSync` per 4 KiB
 * instead of one call per id character.
 */
function pooledRandom(): () => number {
  const pool = new Uint8Array(4096);
  let index = pool.length;
  return () => {
    if (index >= pool.length) {
      randomFillSync(pool);
      index = 0;
    }
    return pool[index++] / 256;
  };
}

/** ULID-based ids (time-ordered, monotonic within a millisecond), optionally prefixed: `run_01J...`. */
export function createUlidGenerator(now: () => number = Date.now): IdGenerator {
  const next = monotonicFactory(pooledRandom());
  return (prefix) => (prefix ? `${prefix}_${next(now())}` : next(now()));
}
