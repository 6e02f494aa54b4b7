import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SQL_STORE_ERROR_CODES, SqlStoreError, sqlStoreErrors } from './errors.js';

const plugins = join(import.meta.dirname, '../..');

describe('SQL store error registry', () => {
  test.each(['store-sql', 'store-sqlite', 'store-postgres'])(
    'every code is documented in the %s README',
    (pkg) => {
      const readme = readFileSync(join(plugins, pkg, 'README.md'), 'utf8');
      for (const code of Object.keys(SQL_STORE_ERROR_CODES))
        expect(readme, `${code} in ${pkg}`).toContain(code);
      expect(sqlStoreErrors.undocumented(readme)).toEqual([]);
    },
  );

  test('errors carry their code, are recognised as llmteam errors and keep the cause', async () => {
    const { isLlmteamError } = await import('@llmteam/core');
    const cause = new Error('ECONNREFUSED');
    const error = new SqlStoreError('LLMT_E_SQL_UNREACHABLE', 'postgres:127.0.0.1:1/test: cannot connect', {
      cause,
    });
    expect(error.code).toBe('LLMT_E_SQL_UNREACHABLE');
    expect(isLlmteamError(error)).toBe(true);
    expect(error.cause).toBe(cause);
  });
});
