import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tenantFairnessSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-fairness-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

tenantFairnessSuite({
  name: '@llmteam/store-sqlite',
  create: async () => new SqliteStore({ path: join(dir, `t${++n}.sqlite`) }),
  createPeer: async (store) => new SqliteStore({ path: (store as SqliteStore).path }),
  test,
  expect,
  describe,
});
