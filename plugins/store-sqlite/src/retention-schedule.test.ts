import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { retentionScheduleSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-retention-schedule-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

retentionScheduleSuite({
  name: '@llmteam/store-sqlite',
  create: async () => new SqliteStore({ path: join(dir, `retention-${++n}.sqlite`) }),
  test,
  expect,
  describe,
});
