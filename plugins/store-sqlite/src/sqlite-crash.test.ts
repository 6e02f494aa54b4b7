import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runStoreCrashScenario, verifyCrashOutcome, workspaceSourcesEnv } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { betterSqlite3Problem } from './sqlite-driver.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const drivers: Array<{ driver: 'sqlite3' | 'better-sqlite3'; kills: number }> = [
  { driver: 'sqlite3', kills: 30 },
  ...(betterSqlite3Problem() === undefined ? [{ driver: 'better-sqlite3' as const, kills: 15 }] : []),
];

describe.each(drivers)('SqliteStore under SIGKILL ($driver)', ({ driver, kills }) => {
  test(`a new process finishes every run after ${kills} kills: no completed step runs again, every event log is gapless`, async () => {
    const path = join(dir, `crash-${driver}.sqlite`);
    const result = await runStoreCrashScenario({
      storeModule: '@llmteam/store-sqlite',
      factory: 'createSqliteStore',
      storeOptions: { path, driver },
      mode: 'serial',
      kills,
      runsPerWorker: 2,
      killAfterMs: [700, 1500],
      stepsPerRun: 4,
      stepDelayMs: [10, 60],
      leaseMs: 400,
      finishTimeoutMs: 300_000,
      env: workspaceSourcesEnv(resolve(import.meta.dirname, '../../..'), dir),
    });
    expect(result.stderr).toBe('');
    expect(result.kills).toBe(kills);
    expect(result.finishCodes).toEqual([0]);
    const store = new SqliteStore({ path, driver });
    await store.init();
    try {
      const outcome = await verifyCrashOutcome(store, result.received);
      expect(outcome.problems).toEqual([]);
      expect(outcome.runs).toBeGreaterThan(5);
      expect(outcome.steps).toBe(outcome.runs * 4);
      console.info(
        `sqlite crash test (${driver}): ${result.kills} kills, ${outcome.runs} runs, ${outcome.steps} steps, ${outcome.repeatedEffects} side effects repeated by in-flight steps`,
      );
    } finally {
      await store.close();
    }
  }, 600_000); // a bound for a hung scenario only: under load the 30 process starts take longer
});
