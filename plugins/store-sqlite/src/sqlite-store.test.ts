import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeConformanceSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { betterSqlite3Problem } from './sqlite-driver.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

const drivers =
  betterSqlite3Problem() === undefined ? (['sqlite3', 'better-sqlite3'] as const) : (['sqlite3'] as const);

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

// The same suite on both drivers: they share the file format, the schema and every guarantee.
for (const driver of drivers) {
  const options: SqliteStoreOptions = { driver };
  storeConformanceSuite({
    name: `@llmteam/store-sqlite (${driver})`,
    create: async () => new SqliteStore({ ...options, path: join(dir, `suite-${++n}`, 'db.sqlite') }),
    // Another instance on the same file, as another process would open it.
    createPeer: async (store) => new SqliteStore({ ...options, path: (store as SqliteStore).path }),
    reopen: async (store) => {
      await store.close();
      return new SqliteStore({ ...options, path: (store as SqliteStore).path });
    },
    test,
    expect,
    describe,
  });
}
