import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { advanceRun, sampleStep, startRun } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { betterSqlite3Problem } from './sqlite-driver.js';
import { SqliteStore } from './sqlite-store.js';

const betterUsable = betterSqlite3Problem() === undefined;

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-driver-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(betterUsable)('the better-sqlite3 driver', () => {
  test('a file written with one driver is read and continued with the other', async () => {
    const path = join(dir, 'switch.sqlite');
    const first = new SqliteStore({ path, driver: 'better-sqlite3', synchronous: 'NORMAL' });
    await first.init();
    const started = await startRun(first, 't1', 'r1', {
      steps: [sampleStep('t1', 'r1', 'a', { inputs: { input: { big: 'x'.repeat(5000) } } })],
    });
    await first.close();

    const second = new SqliteStore({ path, driver: 'sqlite3' });
    await second.init();
    try {
      const [step] = await second.getSteps('t1', 'r1');
      expect(step.inputs).toEqual({ input: { big: 'x'.repeat(5000) } });
      const next = await advanceRun(second, started, 2);
      expect((await second.getRun('t1', 'r1'))?.version).toBe(next.version);
      expect((await second.listEvents('t1', 'r1')).map((e) => e.seq)).toEqual([1, 2, 3]);
    } finally {
      await second.close();
    }
  });

  test('either driver creates the same schema, clustered tables included', async () => {
    const schemaOf = async (driver: 'sqlite3' | 'better-sqlite3') => {
      const store = new SqliteStore({ path: join(dir, `schema-${driver}.sqlite`), driver });
      await store.init();
      try {
        return await (
          store as unknown as { dataSource: { query(s: string): Promise<unknown[]> } }
        ).dataSource.query(
          "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND name <> 'llmteam_migrations' ORDER BY name",
        );
      } finally {
        await store.close();
      }
    };
    const better = await schemaOf('better-sqlite3');
    expect(better).toEqual(await schemaOf('sqlite3'));
    expect(JSON.stringify(better)).toContain('WITHOUT ROWID');
  });

  test('applies the durability level and busy timeout with better-sqlite3 too', async () => {
    const store = new SqliteStore({
      path: join(dir, 'pragmas.sqlite'),
      driver: 'better-sqlite3',
      synchronous: 'NORMAL',
      busyTimeoutMs: 4321,
    });
    await store.init();
    try {
      const q = (sql: string) =>
        (
          store as unknown as { dataSource: { query(s: string): Promise<Array<Record<string, unknown>>> } }
        ).dataSource.query(sql);
      expect((await q('PRAGMA journal_mode'))[0].journal_mode).toBe('wal');
      expect((await q('PRAGMA foreign_keys'))[0].foreign_keys).toBe(1);
      expect((await q('PRAGMA synchronous'))[0].synchronous).toBe(1);
      expect((await q('PRAGMA busy_timeout'))[0].timeout).toBe(4321);
    } finally {
      await store.close();
    }
  });
});

describe('the driver option', () => {
  test('names the better-sqlite3 line each Node can run', () => {
    expect(betterSqlite3Problem('20.20.2', '12.11.1')).toBeUndefined();
    expect(betterSqlite3Problem('22.23.2', '12.11.1')).toBeUndefined();
    expect(betterSqlite3Problem('24.18.0', '12.11.1')).toBeUndefined();
    expect(betterSqlite3Problem('24.19.0', '12.11.1')).toMatch(
      /aborts the process on Node 24\.19\.0.*better-sqlite3@13/,
    );
    expect(betterSqlite3Problem('26.1.0', '12.4.1')).toMatch(/better-sqlite3@13/);
    expect(betterSqlite3Problem('24.21.0', '13.2.0')).toBeUndefined();
    expect(betterSqlite3Problem('22.0.0', '13.2.0')).toBeUndefined();
    expect(betterSqlite3Problem('20.19.0', '13.2.0')).toMatch(/needs Node 22.*better-sqlite3@12/);
  });

  test.runIf(!betterUsable)(
    'refuses better-sqlite3 where it would abort the process, before opening the file',
    async () => {
      const path = join(dir, 'refused.sqlite');
      const store = new SqliteStore({ path, driver: 'better-sqlite3' });
      await expect(store.init()).rejects.toMatchObject({
        code: 'LLMT_E_SQL_INVALID_OPTION',
        message: expect.stringContaining(betterSqlite3Problem() as string),
      });
      expect(existsSync(path)).toBe(false);
    },
  );

  test('refuses an unknown driver, naming the option and the choices', () => {
    let caught: unknown;
    try {
      new SqliteStore({ path: join(dir, 'x.sqlite'), driver: 'sqlite4' as 'sqlite3' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'LLMT_E_SQL_INVALID_OPTION' });
    expect((caught as Error).message).toContain("driver must be 'sqlite3' or 'better-sqlite3'");
  });
});
