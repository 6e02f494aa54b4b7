import { auditTamperSuite } from '@llmteam/testkit';
import { Client } from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, postgresReachable, TEST_DATABASE_URL, uniqueSchema } from './test-database.js';

const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));

if (await postgresReachable()) {
  auditTamperSuite({
    name: '@llmteam/store-postgres',
    create: async () => {
      const schema = uniqueSchema('tamper');
      schemas.push(schema);
      return {
        store: new PostgresStore({ url: TEST_DATABASE_URL, schema }),
        sql: async (statement) => {
          const client = new Client({ connectionString: TEST_DATABASE_URL });
          await client.connect();
          try {
            await client.query(`SET search_path TO "${schema}"`);
            await client.query(statement);
          } finally {
            await client.end();
          }
        },
      };
    },
    test,
    expect,
    describe,
  });
}
