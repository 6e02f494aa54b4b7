import { describe, expect, test } from 'vitest';
import { CrashingStore, recorder } from '../engine/test-helpers.js';
import { createEngine, MemoryStore, type SegmentDefinition, type Store } from '../index.js';

type Calls = Array<{ stepId: string; key: string; at: number }>;

const child: SegmentDefinition = {
  segment_id: 'worker',
  version: '1.0.0',
  steps: [
    { step_id: 'w1', step_type: 'record' },
    { step_id: 'w2', step_type: 'record' },
  ],
  edges: [{ source_step: 'w1', target_step: 'w2' }],
};

/** A parent that fans out to two child runs of `worker` and joins their outputs. */
const parent: SegmentDefinition = {
  segment_id: 'supervisor',
  steps: [
    { step_id: 'split', step_type: 'parallel_split', outputs: [{ port_id: 'a' }, { port_id: 'b' }] },
    { step_id: 'a', step_type: 'segment', config: { segment_id: 'worker', version: '1.0.0' } },
    { step_id: 'b', step_type: 'segment', config: { segment_id: 'worker', version: '1.0.0' } },
    { step_id: 'join', step_type: 'parallel_join', inputs: [{ port_id: 'a' }, { port_id: 'b' }] },
  ],
  edges: [
    { source_step: 'split', source_port: 'a', target_step: 'a' },
    { source_step: 'split', source_port: 'b', target_step: 'b' },
    { source_step: 'a', target_step: 'join', target_port: 'a' },
    { source_step: 'b', target_step: 'join', target_port: 'b' },
  ],
};

const make = (store: Store, calls: Calls, workerId: string, pollIntervalMs = 1000) =>
  createEngine({ store, stepTypes: [recorder(calls)], leaseMs: 30, pollIntervalMs, workerId });

/** Segments are stored before the crash under test: they are not part of the run's commits. */
async function prepared(): Promise<MemoryStore> {
  const memory = new MemoryStore();
  const setup = make(memory, [], 'setup');
  await setup.upsertSegment(child);
  await setup.upsertSegment(parent);
  await setup.stop();
  return memory;
}

describe('segment step durability', () => {
  test('a crash at every commit point of a parent with two children starts each child once and loses nothing', async () => {
    const probeMemory = await prepared();
    const probe = new CrashingStore(probeMemory, Number.POSITIVE_INFINITY, 'before');
    const probeEngine = make(probe.asStore(), [], 'probe');
    const probeRun = await probeEngine.startRun({ segmentId: 'supervisor', input: 1 });
    const finished = await probeEngine.waitForRun(probeRun.runId, { until: ['completed', 'failed'] });
    expect(finished.status).toBe('completed');
    await probeEngine.stop();
    const total = probe.commits;
    // Parent and both children commit: run created and started, steps, notifications.
    expect(total).toBeGreaterThan(12);

    for (const mode of ['before', 'after'] as const) {
      for (let crashAt = 1; crashAt <= total; crashAt++) {
        const label = `${mode} commit ${crashAt}`;
        const memory = await prepared();
        const calls: Calls = [];
        const crashing = new CrashingStore(memory, crashAt, mode);
        const first = make(crashing.asStore(), calls, 'first');
        await first
          .startRun({ segmentId: 'supervisor', input: 1 })
          .then((run) => first.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 300 }))
          .catch(() => undefined);
        await first.stop({ graceMs: 10 });
        expect(crashing.dead, label).toBe(true);
        const runs = (await memory.listRuns('default')).items;
        const top = runs.find((r) => !r.parent);
        if (!top) continue; // died before the run existed: nothing to recover
        await new Promise((r) => setTimeout(r, 40)); // the dead worker's leases expire
        const second = make(memory, calls, 'second', 5);
        await second.start();
        const done = await second.waitForRun(top.runId, { until: ['completed', 'failed'], timeoutMs: 5000 });
        await second.stop();
        expect(done.status, label).toBe('completed');
        const kids = (await memory.listRuns('default')).items.filter((r) => r.parent?.runId === top.runId);
        // One child per segment step, whatever commit the crash hit.
        expect(kids.map((k) => k.parent?.stepId).sort(), label).toEqual(['a', 'b']);
        for (const k of kids) expect(k.status, label).toBe('completed');
        expect(done.outputs, label).toEqual({
          join: {
            a: { w2: { from: 'w2', input: { from: 'w1', input: 1 } } },
            b: { w2: { from: 'w2', input: { from: 'w1', input: 1 } } },
          },
        });
        // At least once, idempotent by key: a child step that ran twice ran with one key.
        const keysOf = new Map<string, Set<string>>();
        for (const c of calls) {
          const runId = c.key.split(':')[0]!;
          const id = `${runId}/${c.stepId}`;
          keysOf.set(id, (keysOf.get(id) ?? new Set()).add(c.key));
        }
        expect(keysOf.size, label).toBe(4);
        for (const [id, keys] of keysOf) expect(keys.size, `${label} ${id}`).toBe(1);
        const events = await memory.listEvents('default', top.runId);
        expect(
          events.map((e) => e.seq),
          label,
        ).toEqual(events.map((_, i) => i + 1));
        expect(
          events.filter((e) => e.type === 'step.completed' && (e.step_id === 'a' || e.step_id === 'b')),
          label,
        ).toHaveLength(2);
      }
    }
  }, 120_000);
});
