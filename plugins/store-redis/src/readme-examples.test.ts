import { readmeExamplesSuite } from '@llmteam/testkit';
import { describe, expect, test } from 'vitest';
import { createTestDatabase, postgresReachable } from '../../store-postgres/src/test-database.js';
import { redisReachable, TEST_REDIS_URL } from './test-services.js';

const reachable = (await redisReachable()) && (await postgresReachable());

// The example's Postgres store owns its database: a new one each run, given as DATABASE_URL.
readmeExamplesSuite({
  readme: new URL('../README.md', import.meta.url),
  conditions: ['llmteam-source'],
  server: async () => {
    const database = await createTestDatabase('readme_redis');
    return { env: { DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL }, stop: () => database.drop() };
  },
  test,
  expect,
  describe: describe.skipIf(!reachable),
});
