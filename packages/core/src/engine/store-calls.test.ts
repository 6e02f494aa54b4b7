import { describe, expect, test } from 'vitest';
import { createEngine, ManualClock, MemoryStore, type SegmentDefinition, type Store } from '../index.js';
import { pollOnce } from './test-helpers.js';

const approval: SegmentDefinition = {
  segment_id: 'approve_then_next',
  steps: [
    {
      step_id: 'ask',
      step_type: 'human_task',
      config: { task_type: 'approval', title: 'Ship it?', assignee_ref: 'alice' },
    },
    { step_id: 'next', step_type: 'transform', config: { expression: '$' } },
  ],
  edges: [{ source_step: 'ask', source_port: 'approved', target_step: 'next' }],
};

/** Counts every call a store gets, by method name. */
function counted(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string' || key === 'subscribe') return value;
      return (...args: unknown[]) => {
        calls.set(key, (calls.get(key) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

/** A store as a third party may have written it: no `readRunState`, no leases in commits. */
function withoutRunStateOrCommitLease(store: MemoryStore): Store {
  const capabilities = { ...store.capabilities, commitLease: false };
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'readRunState') return undefined;
      if (key === 'capabilities') return capabilities;
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function waitingRequest(engine: ReturnType<typeof createEngine>, runId: string) {
  expect((await engine.waitForRun(runId)).status).toBe('waiting_human');
  const [request] = await engine.listInteractions({ runId });
  return request.interactionId;
}

describe('store calls of the start and answer paths', () => {
  test('a start is one commit that creates the run, starts its steps and takes the lease', async () => {
    const memory = new MemoryStore();
    const { store, calls } = counted(memory);
    const engine = createEngine({ store });
    await engine.upsertSegment(approval);
    calls.clear();
    const run = await engine.startRun({ segmentId: approval.segment_id, input: { n: 1 } });
    await engine.waitForRun(run.runId);
    // Create-and-start, then the approval step's suspension, which gives the lease back.
    expect(Object.fromEntries(calls)).toEqual({ commit: 2, getRun: 1 });
    const events = await memory.listEvents('default', run.runId);
    expect(events.slice(0, 3).map((e) => e.type)).toEqual(['run.created', 'run.started', 'step.started']);
    // Nobody holds the waiting run: another worker may take it at once.
    expect(
      await memory.acquireLease('default', run.runId, {
        owner: 'x',
        leaseMs: 1000,
        now: new Date().toISOString(),
      }),
    ).toBe(true);
  });

  test('an answer reads the run once and takes and gives back the lease in its commits', async () => {
    const memory = new MemoryStore();
    const { store, calls } = counted(memory);
    const engine = createEngine({ store });
    await engine.upsertSegment(approval);
    const run = await engine.startRun({ segmentId: approval.segment_id, input: { n: 1 } });
    const request = await waitingRequest(engine, run.runId);
    calls.clear();
    await engine.respond(request, { action: 'approve', actor: { subject: 'alice' } });
    const done = await engine.waitForRun(run.runId, { until: ['completed'] });
    expect(done.outputs).toEqual({ next: { n: 1 } });
    // The answer (and the next step's start), then the next step's result; the wait's read.
    expect(Object.fromEntries(calls)).toEqual({ readRunState: 1, commit: 2, getRun: 1 });
  });

  test('a store without readRunState or commit leases still runs, answers and frees its leases', async () => {
    const memory = new MemoryStore();
    const { store, calls } = counted(withoutRunStateOrCommitLease(memory));
    const engine = createEngine({ store });
    const run = await engine.startRun({ segment: approval, input: { n: 2 } });
    const request = await waitingRequest(engine, run.runId);
    await engine.respond(request, { action: 'approve', actor: { subject: 'alice' } });
    const done = await engine.waitForRun(run.runId, { until: ['completed'] });
    expect(done.outputs).toEqual({ next: { n: 2 } });
    expect(calls.get('acquireLease')).toBeGreaterThan(0);
    expect(calls.get('readRunState')).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(
      await memory.acquireLease('default', run.runId, {
        owner: 'x',
        leaseMs: 1000,
        now: new Date().toISOString(),
      }),
    ).toBe(true);
  });

  test('an answer while another worker holds the lease is applied without it; the holder or recovery goes on', async () => {
    const clock = new ManualClock();
    const memory = new MemoryStore();
    const engine = createEngine({ store: memory, clock, leaseMs: 1000 });
    const run = await engine.startRun({ segment: approval, input: { n: 3 } });
    const request = await waitingRequest(engine, run.runId);
    // Another worker holds the waiting run (it is about to act on it, say).
    expect(
      await memory.acquireLease('default', run.runId, {
        owner: 'other',
        leaseMs: 1000,
        now: new Date(clock.now()).toISOString(),
      }),
    ).toBe(true);
    const answered = await engine.respond(request, { action: 'approve', actor: { subject: 'alice' } });
    expect(answered.status).toBe('completed');
    // Applied, but no step was started here: the run is running, left to the lease holder.
    const view = (await engine.getRun(run.runId))!;
    expect(view.run.status).toBe('running');
    expect(view.steps.find((s) => s.stepId === 'next')?.status ?? 'pending').toBe('pending');
    // The holder never comes back: once its lease expired, recovery here finishes the run.
    clock.advance(1001);
    await pollOnce(engine);
    expect((await engine.waitForRun(run.runId, { until: ['completed'] })).outputs).toEqual({
      next: { n: 3 },
    });
  });
});
