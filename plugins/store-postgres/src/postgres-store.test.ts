import { agentMemoryConformanceSuite, storeConformanceSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, postgresReachable, TEST_DATABASE_URL, uniqueSchema } from './test-database.js';

const reachable = await postgresReachable();
const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));

describe.skipIf(!reachable)('PostgresStore', () => {
  storeConformanceSuite({
    name: '@llmteam/store-postgres',
    create: async () => {
      const schema = uniqueSchema('suite');
      schemas.push(schema);
      return new PostgresStore({ url: TEST_DATABASE_URL, schema, poolSize: 12 });
    },
    createPeer: async (store) =>
      new PostgresStore({ url: TEST_DATABASE_URL, schema: (store as PostgresStore).schema }),
    reopen: async (store) => {
      await store.close();
      return new PostgresStore({ url: TEST_DATABASE_URL, schema: (store as PostgresStore).schema });
    },
    test,
    expect,
    describe,
    concurrency: 10,
  });
  agentMemoryConformanceSuite({
    name: '@llmteam/store-postgres',
    create: async () => {
      const schema = uniqueSchema('memory');
      schemas.push(schema);
      return new PostgresStore({ url: TEST_DATABASE_URL, schema });
    },
    createPeer: async (store) =>
      new PostgresStore({ url: TEST_DATABASE_URL, schema: (store as PostgresStore).schema }),
    test,
    expect,
    describe,
  });
});
