import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine, ManualClock, type SegmentDefinition, type Store } from '@llmteam/core';
import { PostgresStore } from '@llmteam/store-postgres';
import { SqliteStore } from '@llmteam/store-sqlite';
import { useOpenAiTestServer } from '@llmteam/testkit';
import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import plugin from './index.js';

const llm = useOpenAiTestServer({ beforeAll, afterAll, beforeEach });
const dir = mkdtempSync(join(tmpdir(), 'llmteam-token-limit-'));
const POSTGRES_URL = process.env.LLMTEAM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];

const opened: Array<Engine | Store> = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse())
    if ('stop' in item) await item.stop({ graceMs: 50 });
    else await item.close();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!schemas.length) return;
  const client = new Client({ connectionString: POSTGRES_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

async function postgresReachable(): Promise<boolean> {
  const client = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    return false;
  }
}

const SEGMENT: SegmentDefinition = {
  segment_id: 'ask',
  steps: [
    { step_id: 'a', step_type: 'llm_agent', config: { provider: 'local', model: 'gpt-test', stream: false } },
  ],
};

/** Stores over one database: the first made by `create`, the others as more processes would open it. */
interface Backend {
  name: string;
  open(): Store;
}

let n = 0;
const sqlite = (): Backend => {
  const path = join(dir, `t${++n}.sqlite`);
  return { name: 'SQLite file', open: () => new SqliteStore({ path }) };
};
const postgres = (): Backend => {
  const schema = `token_limit_${process.pid}_${++n}`;
  schemas.push(schema);
  return { name: 'Postgres', open: () => new PostgresStore({ url: POSTGRES_URL, schema }) };
};

const backends: Array<[string, () => Backend]> = [['SQLite file', sqlite]];
if (await postgresReachable()) backends.push(['Postgres', postgres]);

describe.each(backends)('llm_tokens_per_month on %s', (_name, backend) => {
  const clock = new ManualClock('2026-03-31T22:00:00Z');
  async function engineOn(db: Backend): Promise<Engine> {
    const store = db.open();
    opened.push(store);
    const engine = createEngine({
      store,
      clock,
      plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
      audit: { checkpointEvery: 0 },
    });
    opened.push(engine);
    await engine.start();
    return engine;
  }
  const runOn = async (engine: Engine) => {
    const run = await engine.forTenant('acme').startRun({ segment: SEGMENT, input: 'hi' });
    return engine.waitForRun(run.runId, { tenantId: 'acme', until: ['completed', 'failed'] });
  };

  test('counts every engine of the store, refuses the call at the limit without calling the model, and opens again next month', async () => {
    const db = backend();
    const [a, b] = [await engineOn(db), await engineOn(db)];
    await a.tenants.create({
      tenantId: 'acme',
      name: 'Acme',
      tier: 'free',
      limits: { llm_tokens_per_month: 100 },
    });
    llm.script(
      { text: 'one', usage: { inputTokens: 40, outputTokens: 20 } },
      { text: 'two', usage: { inputTokens: 30, outputTokens: 15 } },
      { text: 'next month', usage: { inputTokens: 10, outputTokens: 5 } },
    );
    expect((await runOn(a)).status).toBe('completed');
    clock.advance(5 * 60_000);
    // 60 of 100 used: the next call is paid (the limit is not reached yet).
    expect((await runOn(b)).status).toBe('completed');
    expect(llm.calls).toBe(2);
    clock.advance(5 * 60_000);

    for (const engine of [a, b]) {
      const refused = await runOn(engine);
      expect(refused.status).toBe('failed');
      expect(refused.error?.code).toBe('LLMT_E_LIMIT_EXCEEDED');
      const [step] = await engine.store.getSteps('acme', refused.runId);
      expect(step?.error).toMatchObject({
        code: 'LLMT_E_LIMIT_EXCEEDED',
        details: {
          limit: 'llm_tokens_per_month',
          value: 100,
          tier: 'free',
          used: 105,
          tenantId: 'acme',
          step: 'a',
        },
      });
      expect(step?.error?.message).toMatch(
        /step "a" did not call the model: .*llm_tokens_per_month = 100 \(105 in use\) of tier free; raise it/,
      );
    }
    expect(llm.calls).toBe(2);
    expect((await a.tenants.usage('acme')).llm_tokens_per_month).toBe(105);

    // A process started later counts the same stored calls.
    const c = await engineOn(db);
    expect((await runOn(c)).error?.code).toBe('LLMT_E_LIMIT_EXCEEDED');
    expect(llm.calls).toBe(2);

    // 2026-04-01T00:00Z: a new calendar month (UTC, engine clock).
    clock.advance(110 * 60_000);
    expect((await a.tenants.usage('acme')).llm_tokens_per_month).toBe(0);
    expect((await runOn(b)).status).toBe('completed');
    expect(llm.calls).toBe(3);
    expect((await c.tenants.usage('acme')).llm_tokens_per_month).toBe(15);
  });

  test('a higher tier (or override) lets the next call through at once', async () => {
    const db = backend();
    const engine = await engineOn(db);
    await engine.tenants.create({
      tenantId: 'acme',
      name: 'Acme',
      tier: 'free',
      limits: { llm_tokens_per_month: 10 },
    });
    llm.script({ text: 'one', usage: { inputTokens: 10, outputTokens: 5 } }, { text: 'two' });
    expect((await runOn(engine)).status).toBe('completed');
    expect((await runOn(engine)).error?.code).toBe('LLMT_E_LIMIT_EXCEEDED');
    await engine.tenants.update('acme', { tier: 'enterprise', limits: {} });
    expect((await runOn(engine)).status).toBe('completed');
    expect(llm.calls).toBe(2);
  });
});
