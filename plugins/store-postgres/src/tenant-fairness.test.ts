import { tenantFairnessSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, postgresReachable, TEST_DATABASE_URL, uniqueSchema } from './test-database.js';

const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));

if (await postgresReachable()) {
  tenantFairnessSuite({
    name: '@llmteam/store-postgres',
    create: async () => {
      const schema = uniqueSchema('fairness');
      schemas.push(schema);
      return new PostgresStore({ url: TEST_DATABASE_URL, schema });
    },
    createPeer: async (store) =>
      new PostgresStore({ url: TEST_DATABASE_URL, schema: (store as PostgresStore).schema }),
    test,
    expect,
    describe,
  });
}
