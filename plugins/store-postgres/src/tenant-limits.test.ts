import { tenantLimitsSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { dropSchemas, postgresReachable, schemaStores } from './test-database.js';

const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));

if (await postgresReachable()) {
  tenantLimitsSuite({
    name: '@llmteam/store-postgres',
    ...schemaStores('tenancy', schemas),
    test,
    expect,
    describe,
  });
}
