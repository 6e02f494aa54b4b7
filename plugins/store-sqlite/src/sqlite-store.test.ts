import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeConformanceSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeConformanceSuite({
  name: '@llmteam/store-sqlite',
  create: async () => new SqliteStore({ path: join(dir, `suite-${++n}`, 'db.sqlite') }),
  // Another instance on the same file, as another process would open it.
  createPeer: async (store) => new SqliteStore({ path: (store as SqliteStore).path }),
  reopen: async (store) => {
    await store.close();
    return new SqliteStore({ path: (store as SqliteStore).path });
  },
  test,
  expect,
  describe,
});
