import { randomFillSync } from 'node:crypto';

/** Random lowercase hex of `bytes` random bytes. */
export type RandomHex = (bytes: number) => string;

/**
 * Random hex drawn from a pooled buffer of cryptographic randomness: one `randomFillSync`
 * per 4 KiB instead of one `randomBytes` call (and buffer) per id.
 */
export function pooledRandomHex(size = 4096): RandomHex {
  const pool = Buffer.alloc(size);
  let index = size;
  return (bytes) => {
    if (index + bytes > size) {
      randomFillSync(pool);
      index = 0;
    }
    const hex = pool.toString('hex', index, index + bytes);
    index += bytes;
    return hex;
  };
}
