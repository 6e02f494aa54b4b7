import { describe, expect, test } from 'vitest';
import { createEngine, defineStepType, MemoryStore, type SegmentDefinition } from '../index.js';

const counter = (calls: string[]) =>
  defineStepType({
    type: 'count',
    displayName: 'Count',
    category: 'UTILITY',
    configSchema: {},
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    handler(ctx) {
      calls.push(ctx.stepId);
      if (ctx.stepId === 'gate' && ctx.resume === undefined) ctx.suspend({ gate: true });
      return { output: (ctx.input as number) + 1 };
    },
  });

const segment: SegmentDefinition = {
  segment_id: 'snap',
  snapshot_every: 2,
  steps: ['a', 'b', 'gate', 'c'].map((id) => ({ step_id: id, step_type: 'count' })),
  edges: [
    { source_step: 'a', target_step: 'b' },
    { source_step: 'b', target_step: 'gate' },
    { source_step: 'gate', target_step: 'c' },
  ],
};

describe('snapshots', () => {
  test('auto snapshots every N steps carry a SHA-256 checksum of the state', async () => {
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [counter([])] });
    const run = await engine.startRun({ segment, input: 0 });
    await engine.waitForRun(run.runId);
    const snaps = await engine.store.listSnapshots('default', run.runId);
    expect(snaps.map((s) => s.reason)).toEqual(['auto']);
    expect(snaps[0].checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(
      snaps[0].state.steps
        .filter((s) => s.status === 'completed')
        .map((s) => s.stepId)
        .sort(),
    ).toEqual(['a', 'b']);
  });

  test('fork runs a new run from a snapshot without re-running completed steps', async () => {
    const calls: string[] = [];
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [counter(calls)] });
    const run = await engine.startRun({ segment, input: 0 });
    await engine.waitForRun(run.runId);
    const manual = await engine.createSnapshot(run.runId);
    calls.length = 0;
    const fork = await engine.forkRun(manual.snapshotId);
    expect(fork.runId).not.toBe(run.runId);
    expect((await engine.waitForRun(fork.runId)).status).toBe('waiting_action');
    // The gate was waiting in the snapshot: it asks again; a and b are not re-run.
    expect(calls).toEqual(['gate']);
    await engine.resumeStep(fork.runId, 'gate', 'go');
    expect((await engine.waitForRun(fork.runId, { until: ['completed'] })).outputs).toEqual({ c: 4 });
    expect((await engine.getRun(run.runId))!.run.status).toBe('waiting_action');
  });

  test('restore puts a run back to a snapshot and continues it', async () => {
    const calls: string[] = [];
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [counter(calls)] });
    const run = await engine.startRun({ segment, input: 0 });
    await engine.waitForRun(run.runId);
    const [auto] = await engine.store.listSnapshots('default', run.runId);
    await engine.resumeStep(run.runId, 'gate', 'go');
    await engine.waitForRun(run.runId, { until: ['completed'] });
    calls.length = 0;
    await engine.restoreSnapshot(auto.snapshotId);
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_action');
    expect(calls).toEqual(['gate']);
    const events = await engine.store.listEvents('default', run.runId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.some((e) => e.type === 'snapshot.restored')).toBe(true);
  });

  test('refuses a snapshot whose checksum fails, changing nothing', async () => {
    const store = new MemoryStore();
    const engine = createEngine({ store, stepTypes: [counter([])] });
    const run = await engine.startRun({ segment, input: 0 });
    await engine.waitForRun(run.runId);
    const snap = await engine.createSnapshot(run.runId);
    const stored = await store.getSnapshot('default', snap.snapshotId);
    (stored!.state.run as { input: unknown }).input = 999; // tamper with the stored copy
    const before = await store.getRun('default', run.runId);
    await expect(engine.restoreSnapshot(snap.snapshotId)).rejects.toMatchObject({
      code: 'LLMT_E_SNAPSHOT_CORRUPT',
    });
    await expect(engine.forkRun(snap.snapshotId)).rejects.toThrow(/checksum/);
    expect(await store.getRun('default', run.runId)).toEqual(before);
    expect((await store.listRuns('default')).items).toHaveLength(1);
  });
});
