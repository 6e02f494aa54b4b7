import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { verifyAuditChain } from '@llmteam/core';
import {
  advanceRun,
  at,
  sampleAudit,
  sampleRun,
  sampleSnapshot,
  sampleStep,
  startRun,
} from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import sqlitePlugin from './index.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `case-${++n}`, 'nested', 'db.sqlite');

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('SqliteStore at start and on bad data', () => {
  test('creates the directory, turns on WAL and foreign keys, and applies the durability level', async () => {
    const store = new SqliteStore({ path: fresh(), synchronous: 'NORMAL', busyTimeoutMs: 1234 });
    await store.init();
    await store.init(); // idempotent
    const q = (sql: string) =>
      (
        store as unknown as { dataSource: { query(s: string): Promise<Array<Record<string, unknown>>> } }
      ).dataSource.query(sql);
    expect((await q('PRAGMA journal_mode'))[0].journal_mode).toBe('wal');
    expect((await q('PRAGMA foreign_keys'))[0].foreign_keys).toBe(1);
    expect((await q('PRAGMA synchronous'))[0].synchronous).toBe(1); // NORMAL
    expect((await q('PRAGMA busy_timeout'))[0].timeout).toBe(1234);
    await store.close();
    const full = new SqliteStore({ path: fresh() });
    await full.init();
    const q2 = (
      full as unknown as { dataSource: { query(s: string): Promise<Array<Record<string, unknown>>> } }
    ).dataSource;
    expect((await q2.query('PRAGMA synchronous'))[0].synchronous).toBe(2); // FULL is the default
    await full.close();
  });

  test('refuses to start on a database migrated by a newer plugin, naming the store and the fix', async () => {
    const path = fresh();
    const store = new SqliteStore({ path });
    await store.init();
    await (store as unknown as { dataSource: { query(s: string): Promise<unknown> } }).dataSource.query(
      'UPDATE llmteam_schema_version SET version = 99',
    );
    await store.close();
    const again = new SqliteStore({ path });
    const error = await again.init().catch((e: unknown) => e as Error & { code: string });
    expect(error?.code).toBe('LLMT_E_SQL_SCHEMA_TOO_NEW');
    expect(error?.message).toContain(`sqlite:${path}`);
    expect(error?.message).toContain('Upgrade the store plugin');
  });

  test('rolls back a failing migration as a whole: no half-migrated database', async () => {
    const path = fresh();
    await mkdir(dirname(path), { recursive: true });
    // A foreign table in the way of one of the migration's later tables.
    const sqlite3 = (await import('sqlite3')).default;
    await new Promise<void>((resolve, reject) => {
      const db = new sqlite3.Database(path, (err) => {
        if (err) return reject(err);
        db.run('CREATE TABLE events (x INTEGER)', (e) => (e ? reject(e) : db.close(() => resolve())));
      });
    });
    const store = new SqliteStore({ path });
    expect(await codeOf(store.init())).toBe('LLMT_E_SQL_MIGRATION');
    const tables = await new Promise<string[]>((resolve, reject) => {
      const db = new sqlite3.Database(path, (err) => {
        if (err) return reject(err);
        db.all(
          "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
          (e, rows: Array<{ name: string }>) => {
            db.close();
            return e ? reject(e) : resolve(rows.map((r) => r.name));
          },
        );
      });
    });
    // TypeORM's own (empty) bookkeeping table aside, the migration left nothing behind.
    expect(tables.filter((t) => t !== 'llmteam_migrations' && t !== 'sqlite_sequence')).toEqual(['events']);
  });

  test('fails with a typed error naming the store when the file cannot be opened', async () => {
    const blocker = join(dir, `blocker-${++n}`);
    writeFileSync(blocker, 'a file where a directory should be');
    const store = new SqliteStore({ path: join(blocker, 'db.sqlite') });
    const error = await store.init().catch((e: unknown) => e as Error & { code: string });
    expect(error?.code).toBe('LLMT_E_SQL_UNREACHABLE');
    expect(error?.message).toContain(`sqlite:${join(blocker, 'db.sqlite')}`);
    const garbage = join(dir, `garbage-${++n}.sqlite`);
    writeFileSync(garbage, 'x'.repeat(4096));
    expect(await codeOf(new SqliteStore({ path: garbage }).init())).toBe('LLMT_E_SQL_UNREACHABLE');
  });

  test('reports a corrupted snapshot row with a typed error at the read', async () => {
    const store = new SqliteStore({ path: fresh() });
    await store.init();
    const run = await startRun(store, 't1', 'run-1');
    await advanceRun(store, run, 1, { snapshots: [sampleSnapshot(run, [], 'snap-1')] });
    await (store as unknown as { dataSource: { query(s: string): Promise<unknown> } }).dataSource.query(
      `UPDATE snapshots SET state = '{"run": {broken' WHERE snapshot_id = 'snap-1'`,
    );
    const error = (await store.getSnapshot('t1', 'snap-1').catch((e: unknown) => e)) as Error & {
      code: string;
    };
    expect(error?.code).toBe('LLMT_E_SQL_CORRUPT_ROW');
    expect(error?.message).toContain('snapshots(t1, snap-1)');
    expect(await codeOf(store.listSnapshots('t1', 'run-1'))).toBe('LLMT_E_SQL_CORRUPT_ROW');
    // Other reads are unaffected.
    expect((await store.getRun('t1', 'run-1'))?.version).toBe(2);
    await store.close();
  });

  test('refuses to be used before init()', async () => {
    const store = new SqliteStore({ path: fresh() });
    expect(await codeOf(store.getRun('t', 'r'))).toBe('LLMT_E_SQL_NOT_READY');
    expect(
      await codeOf(store.commit({ tenantId: 't', runId: 'r', expectedVersion: 0, run: sampleRun('t', 'r') })),
    ).toBe('LLMT_E_SQL_NOT_READY');
  });

  test('stores a 10-step chain of 100 KB outputs in at most 1.2x the outputs, and never rewrites earlier steps', async () => {
    const path = fresh();
    const store = new SqliteStore({ path });
    await store.init();
    const q = (sql: string) =>
      (
        store as unknown as { dataSource: { query(s: string): Promise<Array<Record<string, number>>> } }
      ).dataSource.query(sql);
    let run = await startRun(store, 't1', 'run-1');
    let sum = 0;
    let previous: unknown;
    for (let i = 0; i < 10; i++) {
      const output = { text: `${i}`.repeat(100_000) };
      sum += JSON.stringify(output).length;
      // Each step's input is the previous step's output, as the engine records it.
      run = await advanceRun(store, run, 2, {
        steps: [
          sampleStep('t1', 'run-1', `s${i}`, {
            inputs: previous ? { in: previous } : {},
            outputs: { out: output },
          }),
        ],
      });
      previous = output;
    }
    await store.commit({
      tenantId: 't1',
      runId: 'run-1',
      expectedVersion: run.version,
      run: { ...run, version: run.version + 1, status: 'completed', outputs: { s9: { out: previous } } },
    });
    const [{ bytes }] = await q(
      `SELECT (SELECT COALESCE(SUM(length(data) + length(COALESCE(inputs, '')) + length(COALESCE(outputs, ''))), 0) FROM step_states)
            + (SELECT COALESCE(SUM(length(body)), 0) FROM run_values)
            + (SELECT COALESCE(SUM(length(extra) + length(COALESCE(input, '')) + length(COALESCE(outputs, ''))), 0) FROM runs)
            + (SELECT COALESCE(SUM(length(data)), 0) FROM events) AS bytes`,
    );
    expect(bytes).toBeLessThanOrEqual(1.2 * sum);
    expect(bytes).toBeGreaterThan(sum);
    const steps = await store.getSteps('t1', 'run-1');
    expect(steps.find((s) => s.stepId === 's5')?.inputs).toEqual({ in: { text: '4'.repeat(100_000) } });
    expect((await store.getRun('t1', 'run-1'))?.outputs).toEqual({ s9: { out: previous } });
    await store.close();
  });

  test('keeps the TypeORM entities in step with the migrations (nothing to synchronize)', async () => {
    const store = new SqliteStore({ path: fresh() });
    await store.init();
    const ds = (
      store as unknown as {
        dataSource: {
          driver: { createSchemaBuilder(): { log(): Promise<{ upQueries: Array<{ query: string }> }> } };
        };
      }
    ).dataSource;
    expect((await ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query)).toEqual([]);
    await store.close();
  });

  test('leases skip the log sync, and every commit after one runs at the configured synchronous level again', async () => {
    const store = new SqliteStore({ path: fresh() });
    await store.init();
    const level = async () =>
      (
        await (
          store as unknown as { dataSource: { query(s: string): Promise<Array<{ synchronous: number }>> } }
        ).dataSource.query('PRAGMA synchronous')
      )[0].synchronous;
    let run = await startRun(store, 't1', 'run-1');
    expect(await store.acquireLease('t1', 'run-1', { owner: 'w', leaseMs: 1000, now: at(0) })).toBe(true);
    expect(await level()).toBe(1); // NORMAL for the lease
    run = await advanceRun(store, run, 1, { steps: [sampleStep('t1', 'run-1', 's1')] });
    expect(await level()).toBe(2); // FULL again for the one-statement commit
    await store.releaseLease('t1', 'run-1', 'w');
    await advanceRun(store, run, 1, { audit: [sampleAudit('t1', 'x')] });
    expect(await level()).toBe(2); // and for a commit in a transaction
    expect(await store.acquireLease('t1', 'run-1', { owner: 'v', leaseMs: 1000, now: at(0) })).toBe(true);
    await store.close();
  });

  test('chains the audit entries of a commit onto entries appended by erasure and sweeps, with no gap or fork', async () => {
    const store = new SqliteStore({ path: fresh() });
    await store.init();
    let run = await startRun(store, 't1', 'run-1', { audit: [sampleAudit('t1', 'run.started')] });
    run = await advanceRun(store, run, 1, { audit: [sampleAudit('t1', 'step.done')] });
    await startRun(store, 't1', 'run-2');
    // Appended outside commit(): the head a later commit chains onto has moved.
    await store.eraseRun('t1', 'run-2', sampleAudit('t1', 'run.erased'));
    const [a, b] = await Promise.all([
      advanceRun(store, run, 1, { audit: [sampleAudit('t1', 'a1'), sampleAudit('t1', 'a2')] }),
      startRun(store, 't1', 'run-3', { audit: [sampleAudit('t1', 'b')] }),
    ]);
    expect(a.version).toBe(3);
    expect(b.runId).toBe('run-3');
    const chain = await store.listAudit('t1');
    expect(chain.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(chain.map((r) => r.action).slice(0, 3)).toEqual(['run.started', 'step.done', 'run.erased']);
    expect(verifyAuditChain(chain).valid).toBe(true);
    await store.close();
  });

  test('registers the sqlite store factory through its plugin', async () => {
    const registered: Array<[string, (o: Record<string, unknown>) => unknown]> = [];
    await sqlitePlugin.setup({
      registerStore: (name: string, factory: (o: Record<string, unknown>) => unknown) =>
        registered.push([name, factory]),
    } as never);
    expect(registered.map(([name]) => name)).toEqual(['sqlite']);
    const store = registered[0][1]({ path: fresh() }) as SqliteStore;
    expect(store.name).toContain('sqlite:');
    expect(store.capabilities).toEqual({
      multiProcess: false,
      crossProcessEvents: true,
      durable: true,
      commitLease: true,
      commitAdmission: true,
    });
  });
});
