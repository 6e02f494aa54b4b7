import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { REDIS_STORE_ERROR_CODES, redisStoreErrors } from './errors.js';

test('every Redis store error code is documented in the README', () => {
  const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
  for (const code of Object.keys(REDIS_STORE_ERROR_CODES)) expect(readme, code).toContain(code);
  expect(redisStoreErrors.undocumented(readme)).toEqual([]);
});
