import { createEngine, type Engine, MemoryStore, type SegmentDefinition } from '@llmteam/core';
import { startTcpProxy, type TcpProxy } from '@llmteam/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import plugin from './index.js';
import { compileNamedQuery } from './named-query.js';
import { reachable, TEST_MYSQL_URL, TEST_POSTGRES_URL } from './test-services.js';

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 200 });
});

const step = (action: string, retry = false): SegmentDefinition => ({
  segment_id: `sql_${action}`,
  steps: [
    {
      step_id: 'q',
      step_type: 'action',
      config: { action },
      ...(retry ? { retry: { max_attempts: 20, backoff: 0.1, max_backoff: 0.2 } } : {}),
    },
  ],
});

test('named parameters become placeholders; quotes, comments and casts stay', () => {
  expect(
    compileNamedQuery('SELECT :a::int, \':no\', "x:y" -- :c\n FROM t WHERE b = :b /* :d */', 'postgres'),
  ).toEqual({
    text: 'SELECT $1::int, \':no\', "x:y" -- :c\n FROM t WHERE b = $2 /* :d */',
    names: ['a', 'b'],
  });
  expect(compileNamedQuery('UPDATE t SET a = :a WHERE id = :id', 'mysql').text).toBe(
    'UPDATE t SET a = ? WHERE id = ?',
  );
});

const postgresUp = await reachable('Postgres', TEST_POSTGRES_URL);
const mysqlUp = await reachable('MariaDB', TEST_MYSQL_URL);

for (const [driver, url] of [
  ['postgres', TEST_POSTGRES_URL],
  ['mysql', TEST_MYSQL_URL],
] as const) {
  describe(`database actions on ${driver}`, () => {
    const up = driver === 'postgres' ? postgresUp : mysqlUp;
    const table = `llmt_orders_${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
    let proxy: TcpProxy;
    let proxiedUrl = '';

    async function admin(sql: string) {
      const engine = createEngine({
        store: new MemoryStore(),
        plugins: [{ plugin, options: { connections: { main: { driver, url } } } }],
        actions: { ddl: { type: 'database', connection: 'main', query: sql, returns: 'none' } },
      });
      await engine.start();
      try {
        await engine.actions.execute('ddl', {}, { tenantId: 'default', idempotencyKey: 'ddl' });
      } finally {
        await engine.stop();
      }
    }

    beforeAll(async () => {
      if (!up) return;
      await admin(
        `CREATE TABLE ${table} (id ${driver === 'postgres' ? 'SERIAL' : 'INT AUTO_INCREMENT'} PRIMARY KEY, sku VARCHAR(50) NOT NULL, qty INT NOT NULL, request_key VARCHAR(200) UNIQUE)`,
      );
      const target = new URL(url);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
      target.port = String(proxy.port);
      proxiedUrl = target.href;
    });
    afterAll(async () => {
      if (!up) return;
      await proxy.close();
      await admin(`DROP TABLE ${table}`);
    });

    async function boot(extra: Record<string, unknown> = {}) {
      const engine = createEngine({
        store: new MemoryStore(),
        pollIntervalMs: 20,
        plugins: [
          {
            plugin,
            options: { connections: { main: { driver, url }, flaky: { driver, url: proxiedUrl } } },
          },
        ],
        actions: {
          add_order: {
            type: 'database',
            connection: 'main',
            query:
              driver === 'postgres'
                ? `INSERT INTO ${table} (sku, qty, request_key) VALUES (:sku, :qty, :idempotency_key) ON CONFLICT (request_key) DO NOTHING`
                : `INSERT IGNORE INTO ${table} (sku, qty, request_key) VALUES (:sku, :qty, :idempotency_key)`,
            returns: 'none',
          },
          find_orders: {
            type: 'database',
            connection: 'main',
            query: `SELECT sku, qty FROM ${table} WHERE sku = :sku ORDER BY id`,
            max_rows: 3,
          },
          count_orders: {
            type: 'database',
            connection: 'flaky',
            query: `SELECT COUNT(*) AS n FROM ${table}`,
            returns: 'one',
          },
          ...extra,
        },
      });
      engines.push(engine);
      await engine.start();
      return engine;
    }

    test.skipIf(!up)('runs a declared insert and a parameterised select inside a run', async () => {
      const engine = await boot();
      const a = await engine.startRun({ segment: step('add_order'), input: { sku: 'A-1', qty: 2 } });
      const done = await engine.waitForRun(a.runId, { until: ['completed', 'failed'] });
      expect(done.outputs).toEqual({ q: { row_count: 1 } });
      const f = await engine.startRun({ segment: step('find_orders'), input: { sku: 'A-1' } });
      const found = await engine.waitForRun(f.runId, { until: ['completed', 'failed'] });
      expect(found.outputs).toEqual({ q: { rows: [{ sku: 'A-1', qty: 2 }], row_count: 1 } });
      const events = await engine.store.listEvents('default', f.runId);
      expect(events.find((e) => e.type === 'action.completed')?.data).toMatchObject({
        action: 'find_orders',
        action_type: 'database',
        response_code: 1,
      });
    });

    test.skipIf(!up)(
      'inputs are values, never SQL; the idempotency key makes a repeated insert a no-op',
      async () => {
        const engine = await boot();
        const evil = `x'); DROP TABLE ${table}; --`;
        const call = { tenantId: 'default', idempotencyKey: `key-${driver}-1` };
        expect((await engine.actions.execute('add_order', { sku: evil, qty: 1 }, call)).data).toEqual({
          row_count: 1,
        });
        expect((await engine.actions.execute('add_order', { sku: evil, qty: 1 }, call)).data).toEqual({
          row_count: 0,
        });
        const rows = await engine.actions.execute('find_orders', { sku: evil }, call);
        expect(rows.data).toEqual({ rows: [{ sku: evil, qty: 1 }], row_count: 1 });
      },
    );

    test.skipIf(!up)('a missing parameter and too many rows are typed errors naming the field', async () => {
      const engine = await boot();
      const call = (k: string) => ({ tenantId: 'default', idempotencyKey: `many-${driver}-${k}` });
      const missing = await engine.actions.execute('find_orders', {}, call('0')).catch((e) => e);
      expect(missing.code).toBe('LLMT_E_ACTION_REQUEST_INVALID');
      expect(missing.details.field).toBe('input.sku');
      for (let i = 0; i < 4; i++)
        await engine.actions.execute('add_order', { sku: 'MANY', qty: i }, call(String(i + 1)));
      const many = await engine.actions.execute('find_orders', { sku: 'MANY' }, call('x')).catch((e) => e);
      expect(many.code).toBe('LLMT_E_SQL_TOO_MANY_ROWS');
      expect(many.retryable).toBe(false);
      expect(many.details.field).toBe('max_rows');
    });

    test.skipIf(!up)('a connection the plugin does not declare fails the config check', async () => {
      await expect(
        boot({ other: { type: 'database', connection: 'nowhere', query: 'SELECT 1' } }),
      ).rejects.toMatchObject({
        code: 'LLMT_E_ACTION_CONFIG',
        message: expect.stringContaining('actions.other.connection'),
      });
    });

    test.skipIf(!up)(
      'the database going away mid-run is a retryable typed error; the run resumes when it is back',
      async () => {
        const engine = await boot();
        expect(
          (await engine.actions.execute('count_orders', {}, { tenantId: 'default', idempotencyKey: 'c0' }))
            .status,
        ).toBe('completed');
        await proxy.stop();
        const run = await engine.startRun({ segment: step('count_orders', true), input: {} });
        await vi.waitFor(
          async () => {
            const events = await engine.store.listEvents('default', run.runId);
            const failed = events.find((e) => e.type === 'action.failed');
            expect(failed?.data.error_type).toBe('LLMT_E_ACTION_UNAVAILABLE');
          },
          { timeout: 10_000 },
        );
        expect((await engine.getRun(run.runId))?.run.status).not.toBe('failed');
        await proxy.start();
        const done = await engine.waitForRun(run.runId, {
          until: ['completed', 'failed'],
          timeoutMs: 20_000,
        });
        expect(done.status).toBe('completed');
        expect(Number((done.outputs!.q as { n: unknown }).n)).toBeGreaterThanOrEqual(0);
      },
    );
  });
}
