import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecord, StepStateRecord } from '@llmteam/core';
import { afterAll, expect, test } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-values-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fileBytes(store: SqliteStore): Promise<number> {
  await (store as unknown as { dataSource: { query(sql: string): Promise<unknown> } }).dataSource.query(
    'PRAGMA wal_checkpoint(TRUNCATE)',
  );
  return statSync(store.path).size;
}

test('a 10-step run passing 1 MB of state on costs about 1 MB on disk, every step readable', async () => {
  const store = new SqliteStore({ path: join(dir, 'db.sqlite') });
  await store.init();
  const before = await fileBytes(store);
  const t = 'default';
  const runId = 'run-1mb';
  const payload = 'x'.repeat(1024 * 1024);
  const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  let run: RunRecord = {
    runId,
    tenantId: t,
    segmentId: 'chain',
    segmentVersion: '1.0.0',
    status: 'running',
    input: { counter: 0, payload },
    version: 1,
    lastSeq: 1,
    stepsCompleted: 0,
    createdAt: at(0),
    updatedAt: at(0),
  };
  const event = (seq: number, type: string) => ({
    event_id: `${runId}.${seq}`,
    tenant_id: t,
    run_id: runId,
    seq,
    type,
    timestamp: at(seq),
    data: {},
  });
  await store.commit({ tenantId: t, runId, expectedVersion: 0, run, events: [event(1, 'run.started')] });
  for (let i = 0; i < 10; i++) {
    const step: StepStateRecord = {
      tenantId: t,
      runId,
      stepId: `s${i}`,
      status: 'completed',
      attempt: 1,
      iterationAttempts: 1,
      iteration: 0,
      inputs: { input: { counter: i, payload } },
      outputs: { output: { counter: i + 1, payload } },
    };
    const next = { ...run, version: run.version + 1, lastSeq: run.lastSeq + 1, stepsCompleted: i + 1 };
    await store.commit({
      tenantId: t,
      runId,
      expectedVersion: run.version,
      run: next,
      steps: [step],
      events: [event(next.lastSeq, 'step.completed')],
    });
    run = next;
  }
  const grown = (await fileBytes(store)) - before;
  expect(grown).toBeLessThan(1.3 * 1024 * 1024);
  const steps = await store.getSteps(t, runId);
  expect(steps).toHaveLength(10);
  for (const s of steps) {
    const i = Number(s.stepId.slice(1));
    expect(s.outputs).toEqual({ output: { counter: i + 1, payload } });
    expect(s.inputs).toEqual({ input: { counter: i, payload } });
  }
  expect((await store.getRun(t, runId))?.input).toEqual({ counter: 0, payload });
  await store.close();
});
