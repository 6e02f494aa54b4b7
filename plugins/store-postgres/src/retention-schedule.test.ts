import { retentionScheduleSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, postgresReachable, TEST_DATABASE_URL, uniqueSchema } from './test-database.js';

const reachable = await postgresReachable();
const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));

describe.skipIf(!reachable)('PostgresStore', () => {
  retentionScheduleSuite({
    name: '@llmteam/store-postgres',
    create: async () => {
      const schema = uniqueSchema('retention');
      schemas.push(schema);
      return new PostgresStore({ url: TEST_DATABASE_URL, schema });
    },
    test,
    expect,
    describe,
  });
});
