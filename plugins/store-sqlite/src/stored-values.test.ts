import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Commit, RunRecord, StepStateRecord } from '@llmteam/core';
import { sampleAudit } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { betterSqlite3Problem } from './sqlite-driver.js';
import { SqliteStore } from './sqlite-store.js';

const drivers =
  betterSqlite3Problem() === undefined ? (['sqlite3', 'better-sqlite3'] as const) : (['sqlite3'] as const);

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-stored-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const t = 't1';
const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
const big = (tag: string) => ({ tag, text: tag.repeat(20_000) });

function header(runId: string, version: number, input: unknown): RunRecord {
  return {
    runId,
    tenantId: t,
    segmentId: 'chain',
    segmentVersion: '1.0.0',
    status: 'running',
    input,
    version,
    lastSeq: version,
    stepsCompleted: version - 1,
    createdAt: at(0),
    updatedAt: at(version),
  };
}

/** Version `version` of a run: step `s<version>` took `input` and gave `output`. */
function commitAt(
  runId: string,
  version: number,
  input: unknown,
  output: unknown,
  expected = version - 1,
): Commit {
  const step: StepStateRecord = {
    tenantId: t,
    runId,
    stepId: `s${version}`,
    status: 'completed',
    attempt: 1,
    iterationAttempts: 1,
    iteration: 0,
    inputs: { input },
    outputs: { output },
  };
  return {
    tenantId: t,
    runId,
    expectedVersion: expected,
    run: header(runId, version, version === 1 ? input : undefined),
    steps: [step],
    events: [
      {
        event_id: `${runId}.${version}`,
        tenant_id: t,
        run_id: runId,
        seq: version,
        type: 'step.completed',
        timestamp: at(version),
        data: {},
      },
    ],
  };
}

/** Counts the characters of statement parameters the store sends to SQLite. */
function sentChars(store: SqliteStore): () => number {
  type Exec = { exec(sql: string, params?: readonly unknown[]): Promise<unknown> };
  const s = store as unknown as { connection(): Exec };
  const connection = s.connection.bind(store);
  let chars = 0;
  s.connection = () => {
    const c = connection();
    return Object.assign(Object.create(c), {
      exec: (sql: string, params: readonly unknown[] = []) => {
        for (const p of params) if (typeof p === 'string') chars += p.length;
        return c.exec(sql, params);
      },
    });
  };
  return () => chars;
}

describe.each(drivers)('shared values a run already holds (%s)', (driver) => {
  test('are sent to the database once per run, not once per step, and every step stays readable', async () => {
    const store = new SqliteStore({ path: join(dir, `once-${driver}.sqlite`), driver });
    await store.init();
    try {
      const sent = sentChars(store);
      const value = big('a');
      await store.commit(commitAt('r1', 1, value, value));
      const first = sent();
      expect(first).toBeGreaterThan(20_000);
      for (let v = 2; v <= 5; v++) await store.commit(commitAt('r1', v, value, value));
      // Steps 2-5 pass the same value on: each sends its small rows only.
      expect(sent() - first).toBeLessThan(4 * 2_000);
      const steps = await store.getSteps(t, 'r1');
      expect(steps).toHaveLength(5);
      for (const s of steps) expect(s.outputs).toEqual({ output: value });
    } finally {
      await store.close();
    }
  });

  test('a value of a refused commit is written by the next commit that carries it', async () => {
    const store = new SqliteStore({ path: join(dir, `refused-${driver}.sqlite`), driver });
    await store.init();
    try {
      await store.commit(commitAt('r1', 1, big('a'), big('a')));
      // Expects version 2, but the run is at 1: refused, nothing written.
      const refused = store.commit(commitAt('r1', 3, big('a'), big('b')));
      await expect(refused).rejects.toMatchObject({ code: 'LLMT_E_CONFLICT' });
      await store.commit(commitAt('r1', 2, big('a'), big('b')));
      const steps = await store.getSteps(t, 'r1');
      expect(steps.find((s) => s.stepId === 's2')?.outputs).toEqual({ output: big('b') });
    } finally {
      await store.close();
    }
  });

  test('a run erased and created again under its id gets its values written again', async () => {
    const store = new SqliteStore({ path: join(dir, `erased-${driver}.sqlite`), driver });
    await store.init();
    try {
      await store.commit(commitAt('r1', 1, big('a'), big('a')));
      await store.eraseRun(t, 'r1', sampleAudit(t, 'run.erased', at(9), 'r1'));
      await store.commit(commitAt('r1', 1, { small: true }, { small: true }));
      await store.commit(commitAt('r1', 2, big('a'), big('a')));
      const steps = await store.getSteps(t, 'r1');
      expect(steps.find((s) => s.stepId === 's2')?.outputs).toEqual({ output: big('a') });
    } finally {
      await store.close();
    }
  });
});
