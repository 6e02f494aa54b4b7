import { readFileSync } from 'node:fs';
import { createEngine, isPlugin, MemoryStore } from '@llmteam/core';
import { expect, test } from 'vitest';
import { SQL_ACTION_ERROR_CODES, sqlActionErrors } from './errors.js';
import sqlActions from './index.js';
import { reachable, TEST_POSTGRES_URL } from './test-services.js';

const up = await reachable('Postgres', TEST_POSTGRES_URL);

test('the default export is a plugin named like its package', () => {
  expect(isPlugin(sqlActions)).toBe(true);
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect([sqlActions.name, sqlActions.version]).toEqual([pkg.name, pkg.version]);
});

test('the README documents every error code', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const code of Object.keys(SQL_ACTION_ERROR_CODES)) expect(readme).toContain(`\`${code}\``);
  expect(sqlActionErrors.undocumented(readme)).toEqual([]);
});

test.skipIf(!up)('the README example runs as written', async () => {
  const engine = createEngine({
    store: new MemoryStore(),
    plugins: [
      {
        plugin: sqlActions,
        options: { connections: { main: { driver: 'postgres', url: TEST_POSTGRES_URL } } },
      },
    ],
    actions: {
      now: {
        type: 'database',
        connection: 'main',
        query: 'SELECT :greeting::text AS greeting',
        returns: 'one',
      },
    },
  });
  await engine.start();
  const result = await engine.actions.execute(
    'now',
    { greeting: 'hello' },
    { tenantId: 'default', idempotencyKey: 'k1' },
  );
  expect(result.data).toEqual({ greeting: 'hello' });
  await engine.stop();
});
