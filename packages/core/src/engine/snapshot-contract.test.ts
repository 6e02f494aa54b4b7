import { describe, expect, test } from 'vitest';
import {
  createEngine,
  defineStepType,
  isLlmteamError,
  MemoryStore,
  type SegmentDefinition,
} from '../index.js';

const gate = defineStepType({
  type: 'gate',
  displayName: 'Gate',
  category: 'UTILITY',
  configSchema: {},
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  handler(ctx) {
    if (ctx.resume === undefined) ctx.suspend({ waiting: true });
    return { output: ctx.resume };
  },
});

const segment = (id: string): SegmentDefinition => ({
  segment_id: id,
  steps: [{ step_id: 'g', step_type: 'gate' }],
});

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLlmteamError(error)) throw new Error(`expected an llmteam error, got ${String(error)}`);
  return error;
}

describe('the snapshot contract', () => {
  test('checkpoints carry a label; snapshots list by segment and run, newest first, and the latest is one call', async () => {
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [gate] });
    const a = await engine.startRun({ segment: segment('orders'), input: 1 });
    const b = await engine.startRun({ segment: segment('orders'), input: 2 });
    const c = await engine.startRun({ segment: segment('other'), input: 3 });
    await Promise.all([a, b, c].map((r) => engine.waitForRun(r.runId)));
    const first = await engine.createSnapshot(a.runId);
    const cp = await engine.createSnapshot(a.runId, { type: 'checkpoint', label: 'before-migration' });
    const third = await engine.createSnapshot(b.runId, { label: 'b1' });
    await engine.createSnapshot(c.runId);
    expect(cp).toMatchObject({ reason: 'checkpoint', label: 'before-migration', segmentId: 'orders' });
    const bySegment = await engine.querySnapshots({ segmentId: 'orders' });
    expect(bySegment.items.map((s) => s.snapshotId)).toEqual([
      third.snapshotId,
      cp.snapshotId,
      first.snapshotId,
    ]);
    expect((await engine.querySnapshots({ runId: a.runId, limit: 1 })).nextCursor).toBeDefined();
    expect((await engine.latestSnapshot({ segmentId: 'orders' }))?.snapshotId).toBe(third.snapshotId);
    expect((await engine.latestSnapshot({ runId: a.runId, reason: 'checkpoint' }))?.label).toBe(
      'before-migration',
    );
    expect(await engine.latestSnapshot({ segmentId: 'nothing' })).toBeUndefined();
    const events = await engine.store.listEvents('default', a.runId);
    expect(events.filter((e) => e.type === 'snapshot.created').map((e) => e.data)).toEqual([
      { snapshot_id: first.snapshotId, reason: 'manual' },
      { snapshot_id: cp.snapshotId, reason: 'checkpoint', label: 'before-migration' },
    ]);
  });

  test('deleting a snapshot is audited, a second delete is not found, and restore or fork of it is refused', async () => {
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [gate] });
    const run = await engine.startRun({ segment: segment('orders'), input: 1 });
    await engine.waitForRun(run.runId);
    const snap = await engine.createSnapshot(run.runId, { type: 'checkpoint', label: 'keep?' });
    const deleted = await engine.deleteSnapshot(snap.snapshotId, { actor: { subject: 'alice' } });
    expect(deleted.snapshotId).toBe(snap.snapshotId);
    const audit = await engine.listAudit();
    expect(audit[audit.length - 1]).toMatchObject({
      action: 'snapshot.deleted',
      actor: 'alice',
      runId: run.runId,
      target: snap.snapshotId,
      data: { reason: 'checkpoint', label: 'keep?' },
    });
    expect((await engine.verifyAudit()).valid).toBe(true);
    for (const attempt of [
      engine.deleteSnapshot(snap.snapshotId),
      engine.restoreSnapshot(snap.snapshotId),
      engine.forkRun(snap.snapshotId),
    ])
      expect((await rejection(attempt)).code).toBe('LLMT_E_SNAPSHOT_NOT_FOUND');
  });

  test('a bad type, label, limit or cursor is refused naming the field and the fix', async () => {
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [gate] });
    const run = await engine.startRun({ segment: segment('orders'), input: 1 });
    await engine.waitForRun(run.runId);
    const bad = [
      [
        engine.createSnapshot(run.runId, { type: 'auto' as 'manual' }),
        /type "auto".*use "manual" or "checkpoint"/,
      ],
      [
        engine.createSnapshot(run.runId, { label: '  ' }),
        /label " {2}" is not a label; give a name of 1 to 200/,
      ],
      [engine.createSnapshot(run.runId, { label: 'x'.repeat(201) }), /1 to 200 characters/],
      [engine.querySnapshots({ limit: 0 }), /limit 0 is out of range; pass an integer from 1 to 500/],
      [engine.querySnapshots({ after: 'nope' }), /`after` is not a cursor.*nextCursor/],
    ] as const;
    for (const [promise, message] of bad) {
      const error = await rejection(promise);
      expect(error.code).toBe('LLMT_E_INVALID_ARGUMENT');
      expect(error.message).toMatch(message);
    }
  });

  test('a tenant facade lists, deletes and restores only its own snapshots', async () => {
    const engine = createEngine({
      store: new MemoryStore(),
      stepTypes: [gate],
      tenancy: { implicitTenants: true },
    });
    const acme = engine.forTenant('acme', { subject: 'ops@acme' });
    const other = engine.forTenant('other');
    const run = await acme.startRun({ segment: segment('orders'), input: 1 });
    await engine.waitForRun(run.runId, { tenantId: 'acme' });
    const snap = await acme.createSnapshot(run.runId, { type: 'checkpoint', label: 'start' });
    expect((await other.querySnapshots({ segmentId: 'orders' })).items).toEqual([]);
    expect(await other.latestSnapshot()).toBeUndefined();
    for (const attempt of [other.deleteSnapshot(snap.snapshotId), other.restoreSnapshot(snap.snapshotId)])
      expect((await rejection(attempt)).code).toBe('LLMT_E_SNAPSHOT_NOT_FOUND');
    const restored = await acme.restoreSnapshot(snap.snapshotId);
    expect(restored.runId).toBe(run.runId);
    expect((await acme.latestSnapshot({ runId: run.runId }))?.label).toBe('start');
  });
});
