import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecord } from '@llmteam/core';
import { afterAll, describe, expect, test } from 'vitest';
import { betterSqlite3Problem } from './sqlite-driver.js';
import { SqliteStore } from './sqlite-store.js';

const drivers =
  betterSqlite3Problem() === undefined ? (['sqlite3', 'better-sqlite3'] as const) : (['sqlite3'] as const);

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-group-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = '2026-01-01T00:00:00.000Z';
const header = (runId: string, version: number): RunRecord => ({
  runId,
  tenantId: 't1',
  segmentId: 'group',
  segmentVersion: '1.0.0',
  status: 'running',
  input: { runId },
  version,
  lastSeq: version,
  stepsCompleted: version - 1,
  createdAt: at,
  updatedAt: at,
});
const commit = (runId: string, version: number, expectedVersion = version - 1) => ({
  tenantId: 't1',
  runId,
  expectedVersion,
  run: header(runId, version),
  steps: [
    {
      tenantId: 't1',
      runId,
      stepId: 'only',
      status: 'running' as const,
      attempt: version,
      iterationAttempts: version,
      iteration: 0,
      inputs: { input: version },
    },
  ],
  events: [
    {
      event_id: `${runId}.${version}`,
      tenant_id: 't1',
      run_id: runId,
      seq: version,
      type: 'step.started',
      step_id: 'only',
      timestamp: at,
      data: { attempt: version, iteration: 0 },
    },
  ],
});

describe.each(drivers)('commits of many runs at once (%s)', (driver) => {
  test('each is written, and a refused one fails alone while the others land', async () => {
    const store = new SqliteStore({
      path: join(dir, `group-${driver}.sqlite`),
      synchronous: 'NORMAL',
      driver,
    });
    await store.init();
    try {
      const runs = Array.from({ length: 40 }, (_, i) => `r${i}`);
      await Promise.all(runs.map((r) => store.commit(commit(r, 1))));
      // The second round in one go: r7 claims a version it is not at.
      const results = await Promise.allSettled(
        runs.map((r) => store.commit(r === 'r7' ? commit(r, 3, 2) : commit(r, 2))),
      );
      const refused = results.flatMap((r, i) => (r.status === 'rejected' ? [runs[i]] : []));
      expect(refused).toEqual(['r7']);
      expect((results[7] as PromiseRejectedResult).reason).toMatchObject({ code: 'LLMT_E_CONFLICT' });
      for (const r of runs) {
        const version = r === 'r7' ? 1 : 2;
        expect((await store.getRun('t1', r))?.version).toBe(version);
        expect((await store.getSteps('t1', r))[0].attempt).toBe(version);
        expect((await store.listEvents('t1', r)).map((e) => e.seq)).toEqual(version === 2 ? [1, 2] : [1]);
      }
    } finally {
      await store.close();
    }
  });
});
