import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runStoreCrashScenario, verifyCrashOutcome, workspaceSourcesEnv } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, postgresReachable, TEST_DATABASE_URL, uniqueSchema } from './test-database.js';

const reachable = await postgresReachable();
const dir = mkdtempSync(join(tmpdir(), 'llmteam-pg-crash-'));
const schema = uniqueSchema('crash');
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (reachable) await dropSchemas([schema]);
});

describe.skipIf(!reachable)('PostgresStore with several worker processes', () => {
  test('three workers share 300 runs and one is killed mid-way: every run completes once, no completed step runs again', async () => {
    const result = await runStoreCrashScenario({
      storeModule: '@llmteam/store-postgres',
      factory: 'createPostgresStore',
      storeOptions: { url: TEST_DATABASE_URL, schema, poolSize: 5 },
      mode: 'shared',
      workers: 3,
      runsPerWorker: 300,
      killVictimAfterMs: 300,
      stepsPerRun: 3,
      stepDelayMs: [5, 30],
      leaseMs: 5000,
      finishTimeoutMs: 300_000,
      env: workspaceSourcesEnv(resolve(import.meta.dirname, '../../..'), dir),
    });
    expect(result.stderr).toBe('');
    expect(result.kills).toBe(1);
    expect(result.finishCodes).toEqual([0, 0, 0]);
    const store = new PostgresStore({ url: TEST_DATABASE_URL, schema });
    await store.init();
    try {
      const outcome = await verifyCrashOutcome(store, result.received);
      expect(outcome.problems).toEqual([]);
      expect(outcome.runs).toBe(300);
      expect(outcome.steps).toBe(900);
      const workers = new Set(result.received.map((e) => e.worker));
      // The killed worker had done part of the work, and the others took over the rest.
      for (const w of ['w1', 'w2', 'w3']) expect(workers.has(w)).toBe(true);
      console.info(
        `postgres crash test: 300 runs on 3 workers (${[...workers].map((w) => `${w}: ${result.received.filter((e) => e.worker === w).length}`).join(', ')} side effects), ${outcome.repeatedEffects} repeated by in-flight steps of the killed worker`,
      );
    } finally {
      await store.close();
    }
  }, 600_000); // a bound for a hung scenario only: under load the workers take longer
});
