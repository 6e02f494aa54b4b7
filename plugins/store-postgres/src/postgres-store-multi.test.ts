import { verifyAuditChain, type WorktrailEvent } from '@llmteam/core';
import { advanceRun, at, sampleAudit, sampleSnapshot, sampleTimer, startRun } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import postgresPlugin from './index.js';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, postgresReachable, TEST_DATABASE_URL, uniqueSchema } from './test-database.js';

const reachable = await postgresReachable();
const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));

function schema(): string {
  const name = uniqueSchema('multi');
  schemas.push(name);
  return name;
}

async function codeOf(promise: Promise<unknown>): Promise<{ code?: string; message?: string } | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as { code?: string; message?: string };
  }
}

const waitFor = async (check: () => boolean, ms = 20_000) => {
  for (const end = Date.now() + ms; !check() && Date.now() < end; )
    await new Promise((r) => setTimeout(r, 10));
};

describe.skipIf(!reachable)('PostgresStore across processes', () => {
  test('delivers events committed by another store instance once each, in seq order, and its own once', async () => {
    const s = schema();
    const a = new PostgresStore({ url: TEST_DATABASE_URL, schema: s });
    const b = new PostgresStore({ url: TEST_DATABASE_URL, schema: s });
    await Promise.all([a.init(), b.init()]);
    try {
      const seenA: WorktrailEvent[] = [];
      const seenB: WorktrailEvent[] = [];
      a.subscribe((events) => seenA.push(...events));
      b.subscribe((events) => seenB.push(...events));
      let run = await startRun(a, 't1', 'run-1');
      for (let i = 0; i < 10; i++) run = await advanceRun(i % 2 ? a : b, run, 2);
      await waitFor(() => seenA.length >= 21 && seenB.length >= 21);
      await new Promise((r) => setTimeout(r, 200));
      const seqs = Array.from({ length: 21 }, (_, i) => i + 1);
      expect(seenA.map((e) => e.seq)).toEqual(seqs);
      expect(seenB.map((e) => e.seq)).toEqual(seqs);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('a dropped LISTEN connection comes back and catches up on what was committed meanwhile', async () => {
    const s = schema();
    const a = new PostgresStore({ url: TEST_DATABASE_URL, schema: s });
    const b = new PostgresStore({ url: TEST_DATABASE_URL, schema: s });
    await Promise.all([a.init(), b.init()]);
    const admin = new (await import('pg')).Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const seenA: WorktrailEvent[] = [];
      a.subscribe((events) => seenA.push(...events));
      let run = await startRun(b, 't1', 'run-1');
      await waitFor(() => seenA.length >= 1);
      // Cut every LISTEN connection of this schema's channel, as a network drop would.
      const cut = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN "llmteam_events:${s}"%' AND pid <> pg_backend_pid()`,
      );
      expect(cut.rowCount).toBe(2);
      run = await advanceRun(b, run, 2);
      await waitFor(() => seenA.length >= 3, 8000);
      expect(seenA.map((e) => e.seq)).toEqual([1, 2, 3]);
    } finally {
      await admin.end();
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('lets two instances claim due timers and runs with SKIP LOCKED, each exactly once', async () => {
    const s = schema();
    const a = new PostgresStore({ url: TEST_DATABASE_URL, schema: s });
    const b = new PostgresStore({ url: TEST_DATABASE_URL, schema: s });
    await Promise.all([a.init(), b.init()]);
    try {
      for (let i = 0; i < 40; i++) {
        await startRun(a, 't1', `run-${i}`, {
          timers: { add: [sampleTimer('t1', `run-${i}`, `tm-${i}`, at(i))] },
          runOverrides: { status: 'pending' },
        });
      }
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? a : b).claimDueTimers({ owner: `w${i}`, leaseMs: 60_000, now: at(1000), limit: 6 }),
        ),
      );
      const ids = claims.flat().map((t) => t.timerId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(40);
      const runs = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? a : b).claimRuns({ owner: `w${i}`, leaseMs: 60_000, now: at(1000), limit: 6 }),
        ),
      );
      const runIds = runs.flat().map((r) => r.runId);
      expect(new Set(runIds).size).toBe(runIds.length);
      expect(runIds.length).toBe(40);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('keeps one gapless audit chain per tenant when two instances append at once', async () => {
    const s = schema();
    const a = new PostgresStore({ url: TEST_DATABASE_URL, schema: s });
    const b = new PostgresStore({ url: TEST_DATABASE_URL, schema: s });
    await Promise.all([a.init(), b.init()]);
    try {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          startRun(i % 2 ? a : b, 't1', `run-${i}`, { audit: [sampleAudit('t1', 'run.started', at(i))] }),
        ),
      );
      const chain = await a.listAudit('t1');
      expect(chain.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(verifyAuditChain(chain).valid).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('fails with a typed error naming host and port but not the password when the server is unreachable', async () => {
    const store = new PostgresStore({
      url: 'postgres://postgres:s3cret-pw@127.0.0.1:1/test',
      connectTimeoutMs: 2000,
    });
    const error = await codeOf(store.init());
    expect(error?.code).toBe('LLMT_E_SQL_UNREACHABLE');
    expect(error?.message).toContain('postgres:127.0.0.1:1/test');
    expect(error?.message).toContain('fix the store `url` option');
    expect(error?.message).not.toContain('s3cret-pw');
    expect(() => new PostgresStore({ url: '' })).toThrow(/url/);
    expect(() => new PostgresStore({ url: TEST_DATABASE_URL, schema: 'bad; drop' })).toThrow(/schema/);
  });

  test('refuses a schema migrated by a newer plugin, and reports a corrupted snapshot at the read', async () => {
    const s = schema();
    const store = new PostgresStore({ url: TEST_DATABASE_URL, schema: s });
    await store.init();
    const run = await startRun(store, 't1', 'run-1');
    await advanceRun(store, run, 1, { snapshots: [sampleSnapshot(run, [], 'snap-1')] });
    const ds = (store as unknown as { dataSource: { query(sql: string): Promise<unknown> } }).dataSource;
    await ds.query(`UPDATE snapshots SET state = 'not json' WHERE snapshot_id = 'snap-1'`);
    expect((await codeOf(store.getSnapshot('t1', 'snap-1')))?.code).toBe('LLMT_E_SQL_CORRUPT_ROW');
    await ds.query('UPDATE llmteam_schema_version SET version = 7');
    await store.close();
    const again = new PostgresStore({ url: TEST_DATABASE_URL, schema: s });
    const error = await codeOf(again.init());
    expect(error?.code).toBe('LLMT_E_SQL_SCHEMA_TOO_NEW');
    expect(error?.message).toContain(`schema=${s}`);
  });

  test('migrates a fresh schema once when several instances start together', async () => {
    const s = schema();
    const stores = Array.from(
      { length: 4 },
      () => new PostgresStore({ url: TEST_DATABASE_URL, schema: s, poolSize: 2 }),
    );
    await Promise.all(stores.map((x) => x.init()));
    try {
      await startRun(stores[3], 't1', 'run-1');
      expect((await stores[0].getRun('t1', 'run-1'))?.version).toBe(1);
    } finally {
      await Promise.all(stores.map((x) => x.close()));
    }
  });

  test('keeps the TypeORM entities in step with the migrations (nothing to synchronize)', async () => {
    const store = new PostgresStore({ url: TEST_DATABASE_URL, schema: schema() });
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

  test('registers the postgres store factory through its plugin', async () => {
    const names: string[] = [];
    await postgresPlugin.setup({ registerStore: (name: string) => names.push(name) } as never);
    expect(names).toEqual(['postgres']);
  });
});
