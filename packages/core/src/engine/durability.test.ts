import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createEngine, defineStepType, ManualClock, MemoryStore, type WorktrailEvent } from '../index.js';
import { CrashingStore, dagSegment, recorder } from './test-helpers.js';

function checkGapless(events: WorktrailEvent[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
}

describe('durable execution', () => {
  test('random DAGs run every reachable step exactly once, after its predecessors', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.tuple(fc.nat(11), fc.nat(11)), { maxLength: 30 }),
        async (size, rawEdges) => {
          const calls: Array<{ stepId: string; key: string; at: number }> = [];
          // The engine's own clock: no poll or lease timer of the 60 engines fires on real time.
          const engine = createEngine({
            store: new MemoryStore(),
            clock: new ManualClock(),
            stepTypes: [recorder(calls)],
          });
          const segment = dagSegment('dag', size, rawEdges);
          const run = await engine.startRun({ segment, input: 'x' });
          const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
          expect(done.status).toBe('completed');
          const order = new Map(calls.map((c) => [c.stepId, c.at]));
          expect(calls.length).toBe(size);
          expect(order.size).toBe(size);
          for (const e of segment.edges ?? [])
            expect(order.get(e.source_step)!).toBeLessThan(order.get(e.target_step)!);
          checkGapless(await engine.store.listEvents('default', run.runId));
          await engine.stop();
        },
      ),
      { numRuns: 60 },
    );
    // Bounded by its 60 cases, not by time: on a loaded machine they take longer than 30 s.
  }, 180_000);

  test('a crash at every commit point loses nothing: a new engine completes every run, each step once', async () => {
    const segment = dagSegment('crash', 6, [
      [0, 1],
      [0, 2],
      [1, 3],
      [2, 3],
      [3, 4],
      [3, 5],
    ]);
    // One run of this segment takes a known number of commits; crash at each of them.
    const probeCalls: Array<{ stepId: string; key: string; at: number }> = [];
    const probe = new CrashingStore(new MemoryStore(), Number.POSITIVE_INFINITY, 'before');
    const probeEngine = createEngine({ store: probe.asStore(), stepTypes: [recorder(probeCalls)] });
    const probeRun = await probeEngine.startRun({ segment, input: 1 });
    await probeEngine.waitForRun(probeRun.runId, { until: ['completed'] });
    const totalCommits = probe.commits;
    // Start, n0, n1 with n2 (one commit), n3, n4 with n5.
    expect(totalCommits).toBeGreaterThanOrEqual(5);

    for (const mode of ['before', 'after'] as const) {
      for (let crashAt = 2; crashAt <= totalCommits; crashAt++) {
        const memory = new MemoryStore();
        const clock = new ManualClock();
        const calls: Array<{ stepId: string; key: string; at: number }> = [];
        const crashing = new CrashingStore(memory, crashAt, mode);
        const first = createEngine({
          store: crashing.asStore(),
          clock,
          stepTypes: [recorder(calls)],
          leaseMs: 30,
          workerId: 'first',
        });
        const run = await first.startRun({ segment, input: 1 }).catch(() => undefined);
        await crashing.died;
        await first.stop({ graceMs: 10 });
        const [stored] = (await memory.listRuns('default')).items;
        if (!stored) continue; // died before the run existed: nothing to recover
        if (run) expect(run.runId).toBe(stored.runId);
        clock.advance(31); // the dead worker's lease expires
        const second = createEngine({
          store: memory,
          clock,
          stepTypes: [recorder(calls)],
          leaseMs: 30,
          workerId: 'second',
        });
        await second.start();
        const done = await second.waitForRun(stored.runId, {
          until: ['completed', 'failed'],
          timeoutMs: 5000,
        });
        await second.stop();
        expect(done.status, `${mode} commit ${crashAt}`).toBe('completed');
        const events = await memory.listEvents('default', stored.runId);
        checkGapless(events);
        const completed = events.filter((e) => e.type === 'step.completed').map((e) => e.step_id);
        expect(completed.sort()).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
        // At least once, idempotent by key: a step that ran twice ran with the same key.
        for (const stepId of new Set(calls.map((c) => c.stepId))) {
          expect(
            new Set(calls.filter((c) => c.stepId === stepId).map((c) => c.key)).size,
            `${stepId} at ${mode} ${crashAt}`,
          ).toBe(1);
        }
      }
    }
  }, 60_000);
});

describe('lease loss', () => {
  /** A store whose lease renewals fail after the first acquisition (a worker cut off from the lease table). */
  function starvedOf(memory: MemoryStore, onRenewal?: () => void): MemoryStore {
    let acquisitions = 0;
    return new Proxy(memory, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop === 'acquireLease') {
          return async (...args: Parameters<MemoryStore['acquireLease']>) => {
            // The first lease is granted: by this call, or (a store that takes leases in
            // commits) by the commit that created the run. Every renewal is refused.
            if (acquisitions++ === 0 && !target.capabilities.commitLease) return target.acquireLease(...args);
            onRenewal?.();
            return false;
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  test('a worker that lost the run cannot commit its late result: the step completes once', async () => {
    const clock = new ManualClock();
    const memory = new MemoryStore();
    const calls: Array<{ stepId: string; key: string; at: number }> = [];
    // Worker A's handler finishes only when the test says so, long after its lease expired.
    let finishA!: () => void;
    const lateA = new Promise<void>((r) => {
      finishA = r;
    });
    let startedA!: () => void;
    const runningA = new Promise<void>((r) => {
      startedA = r;
    });
    const gated = defineStepType({
      type: 'record',
      displayName: 'Record',
      category: 'UTILITY',
      configSchema: {},
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'output' }],
      async handler(ctx) {
        calls.push({ stepId: ctx.stepId, key: ctx.idempotencyKey, at: calls.length });
        startedA();
        await lateA;
        return { output: { from: ctx.stepId, worker: 'a', input: ctx.input } };
      },
    });
    const segment = dagSegment('lease', 2, [[0, 1]]);
    const a = createEngine({
      store: starvedOf(memory),
      clock,
      stepTypes: [gated],
      leaseMs: 40,
      workerId: 'a',
    });
    const run = await a.startRun({ segment, input: 1 });
    await runningA;
    clock.advance(41); // A's lease expires; A cannot renew it
    const b = createEngine({
      store: memory,
      clock,
      stepTypes: [recorder(calls, 'record', 'b')],
      leaseMs: 40,
      workerId: 'b',
    });
    await b.start();
    const done = await b.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 10_000 });
    finishA();
    // Stopping A waits for its handler and for its refused commit.
    await a.stop({ graceMs: 30_000 });
    await b.stop();
    expect(done.status).toBe('completed');
    const events = await memory.listEvents('default', run.runId);
    checkGapless(events);
    const completions = events.filter((e) => e.type === 'step.completed').map((e) => e.step_id);
    expect(completions.sort()).toEqual(['n0', 'n1']);
    expect(calls.filter((c) => c.stepId === 'n0').map((c) => c.key)).toEqual([
      `${run.runId}:n0:1`,
      `${run.runId}:n0:1`,
    ]);
    expect(events.filter((e) => e.type === 'run.completed')).toHaveLength(1);
    // Everything after the takeover came from the new holder: A's late result was refused.
    expect(done.outputs).toEqual({
      n1: { from: 'n1', worker: 'b', input: { from: 'n0', worker: 'b', input: 1 } },
    });
    expect(calls.filter((c) => c.stepId === 'n1')).toHaveLength(1);
    expect(await memory.getRun('default', run.runId)).toMatchObject({
      status: 'completed',
      version: done.version,
    });
  });

  test('a worker that can no longer renew its lease aborts the handlers it runs and starts nothing', async () => {
    const clock = new ManualClock();
    const memory = new MemoryStore();
    let renewalRefused!: () => void;
    const refused = new Promise<void>((r) => {
      renewalRefused = r;
    });
    let abortedWith!: (reason: unknown) => void;
    const aborted = new Promise<unknown>((r) => {
      abortedWith = r;
    });
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const engine = createEngine({
      store: starvedOf(memory, () => renewalRefused()),
      clock,
      leaseMs: 60,
      stepTypes: [
        defineStepType({
          type: 'long',
          displayName: 'Long',
          category: 'UTILITY',
          configSchema: {},
          inputs: [{ port_id: 'input' }],
          outputs: [{ port_id: 'output' }],
          handler: (ctx) =>
            new Promise((_, reject) => {
              ctx.signal.addEventListener('abort', () => {
                abortedWith(ctx.signal.reason);
                reject(ctx.signal.reason);
              });
              started();
            }),
        }),
      ],
    });
    await engine.start();
    const run = await engine.startRun({
      segment: { segment_id: 'lost', steps: [{ step_id: 'l', step_type: 'long' }] },
    });
    await running;
    clock.advance(50); // the heartbeat tries to renew, and is refused
    await refused;
    // Aborted by the lost lease, before (and not by) the engine stopping.
    expect(await aborted).toMatchObject({
      code: 'LLMT_E_STEP_CANCELLED',
      message: expect.stringContaining('another worker'),
    });
    await engine.stop({ graceMs: 10 });
    // The run is left as it was for the worker that holds it now.
    expect((await memory.getRun('default', run.runId))?.status).toBe('running');
    expect((await memory.getSteps('default', run.runId)).map((s) => s.status)).toEqual(['running']);
  });
});
