import { tenantFairnessSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { dropSchemas, postgresReachable, schemaStores } from './test-database.js';

const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));

if (await postgresReachable()) {
  tenantFairnessSuite({
    name: '@llmteam/store-postgres',
    ...schemaStores('fairness', schemas),
    test,
    expect,
    describe,
  });
}
