import { readmeExamplesSuite } from '@llmteam/testkit';
import { describe, expect, test } from 'vitest';
import { createTestDatabase, postgresReachable } from './test-database.js';

const reachable = await postgresReachable();

// The example owns its database: a new one each run, given as DATABASE_URL.
readmeExamplesSuite({
  readme: new URL('../README.md', import.meta.url),
  conditions: ['llmteam-source'],
  server: async () => {
    const database = await createTestDatabase('readme');
    return { env: { DATABASE_URL: database.url }, stop: () => database.drop() };
  },
  test,
  expect,
  describe: describe.skipIf(!reachable),
});
