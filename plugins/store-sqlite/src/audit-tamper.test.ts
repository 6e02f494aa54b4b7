import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditTamperSuite } from '@llmteam/testkit';
import sqlite3 from 'sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-tamper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

auditTamperSuite({
  name: '@llmteam/store-sqlite',
  create: async () => {
    const path = join(dir, `tamper-${++n}`, 'db.sqlite');
    return {
      store: new SqliteStore({ path }),
      // A second connection on the file, as another program with access to it would open.
      sql: (statement) =>
        new Promise<void>((resolve, reject) => {
          const db = new sqlite3.Database(path);
          db.run(statement, (err) => db.close(() => (err ? reject(err) : resolve())));
        }),
    };
  },
  test,
  expect,
  describe,
});
