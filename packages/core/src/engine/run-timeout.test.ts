import { eventually } from '@llmteam/testkit';
import { describe, expect, test } from 'vitest';
import {
  createEngine,
  defineStepType,
  type Engine,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
  type Store,
} from '../index.js';
import { gate, pollOnce } from './test-helpers.js';

const approval = (timeout?: string | number): SegmentDefinition => ({
  segment_id: 'timed_approval',
  ...(timeout !== undefined ? { timeout } : {}),
  steps: [
    {
      step_id: 'ask',
      step_type: 'human_task',
      config: { task_type: 'approval', title: 'Approve' },
      outputs: [{ port_id: 'approved' }, { port_id: 'rejected' }],
    },
  ],
});

function engineOn(
  store: Store,
  clock: ManualClock,
  workerId = 'w1',
  extra: Parameters<typeof createEngine>[0]['stepTypes'] = [],
): Engine {
  return createEngine({ store, clock, workerId, stepTypes: extra });
}

describe('run timeout', () => {
  test('a run past its segment timeout fails with LLMT_E_RUN_TIMEOUT and its open request is cancelled', async () => {
    const clock = new ManualClock();
    const engine = engineOn(new MemoryStore(), clock);
    await engine.start();
    const run = await engine.startRun({ segment: approval('PT1H') });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_human');
    expect(run.limits).toMatchObject({ timeoutMs: 3_600_000, deadline: '2026-01-01T01:00:00.000Z' });
    clock.advance(3_599_000);
    await pollOnce(engine);
    expect((await engine.store.getRun('default', run.runId))!.status).toBe('waiting_human');
    clock.advance(1000);
    await pollOnce(engine);
    const failed = await engine.waitForRun(run.runId, { until: ['failed'] });
    expect(failed.error).toMatchObject({ code: 'LLMT_E_RUN_TIMEOUT' });
    expect(failed.error!.message).toContain('PT1H');
    const [request] = await engine.listInteractions({ runId: run.runId });
    expect(request!.status).toBe('cancelled');
    const steps = (await engine.getRun(run.runId))!.steps;
    expect(steps.find((s) => s.stepId === 'ask')!.status).toBe('cancelled');
    expect(await engine.store.listTimers('default', run.runId)).toEqual([]);
    const events = (await engine.store.listEvents('default', run.runId)).map((e) => e.type);
    expect(events.slice(-2)).toEqual(['run.failed', 'snapshot.created']);
    await expect(
      engine.respond(request!.interactionId, {
        action: 'approve',
        actor: { subject: 'x', roles: ['admin'] },
      }),
    ).rejects.toMatchObject({ code: 'LLMT_E_INTERACTION_CLOSED' });
    await engine.stop();
  });

  test("startRun's timeout overrides the segment's and aborts a running handler through its signal", async () => {
    const clock = new ManualClock();
    const started = gate();
    const aborted = gate<unknown>();
    const hang = defineStepType({
      type: 'hang',
      displayName: 'Hang',
      category: 'UTILITY',
      configSchema: {},
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'output' }],
      handler: (ctx) =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted.open(ctx.signal.reason);
            reject(ctx.signal.reason);
          });
          started.open();
        }),
    });
    const engine = engineOn(new MemoryStore(), clock, 'w1', [hang]);
    await engine.start();
    const run = await engine.startRun({
      segment: { segment_id: 'hanging', timeout: 'P1D', steps: [{ step_id: 'h', step_type: 'hang' }] },
      timeout: 30,
    });
    await started.promise;
    expect(run.limits?.timeoutMs).toBe(30_000);
    clock.advance(30_000);
    await pollOnce(engine);
    expect(await aborted.promise).toMatchObject({ code: 'LLMT_E_RUN_TIMEOUT' });
    const failed = await engine.waitForRun(run.runId, { until: ['failed'] });
    expect(failed.error?.code).toBe('LLMT_E_RUN_TIMEOUT');
    await engine.stop();
  });

  test('the deadline is a durable timer: a new engine on the same store fails the run after a restart', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const first = engineOn(store, clock, 'first');
    const run = await first.startRun({ segment: approval(), timeout: 'PT2H' });
    await first.waitForRun(run.runId);
    await first.stop();
    clock.advance(2 * 3_600_000);
    const second = engineOn(store, clock, 'second');
    await second.start();
    await pollOnce(second);
    const failed = await second.waitForRun(run.runId, { until: ['failed'] });
    expect(failed.error?.code).toBe('LLMT_E_RUN_TIMEOUT');
    await second.stop();
  });

  test('a timed-out parent cancels its child runs', async () => {
    const clock = new ManualClock();
    const engine = engineOn(new MemoryStore(), clock);
    await engine.start();
    await engine.upsertSegment({ ...approval(), version: '1.0.0' });
    const parent = await engine.startRun({
      segment: {
        segment_id: 'parent',
        timeout: 'PT10M',
        steps: [
          {
            step_id: 'child',
            step_type: 'segment',
            config: { segment_id: 'timed_approval', version: '1.0.0' },
          },
        ],
      },
    });
    const child = await eventually(async () => {
      const runs = (await engine.store.listRuns('default')).items;
      return runs.find((r) => r.parent?.runId === parent.runId && r.status === 'waiting_human');
    }, 'the child run waiting');
    clock.advance(600_000);
    await pollOnce(engine);
    expect((await engine.waitForRun(parent.runId, { until: ['failed'] })).error?.code).toBe(
      'LLMT_E_RUN_TIMEOUT',
    );
    await pollOnce(engine);
    expect((await engine.waitForRun(child.runId, { until: ['cancelled'] })).status).toBe('cancelled');
    await engine.stop();
  });

  test('a run that completes in time leaves no deadline timer behind', async () => {
    const engine = engineOn(new MemoryStore(), new ManualClock());
    const run = await engine.startRun({
      segment: {
        segment_id: 'quick',
        timeout: 'PT1M',
        steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$' } }],
      },
      input: 1,
    });
    expect((await engine.waitForRun(run.runId)).status).toBe('completed');
    expect(await engine.store.listTimers('default', run.runId)).toEqual([]);
  });

  test('a fork gets the whole timeout again from the fork', async () => {
    const clock = new ManualClock();
    const engine = engineOn(new MemoryStore(), clock);
    const run = await engine.startRun({ segment: approval('PT1H') });
    await engine.waitForRun(run.runId);
    const snap = await engine.createSnapshot(run.runId);
    clock.advance(1_800_000);
    const fork = await engine.forkRun(snap.snapshotId);
    expect(fork.limits?.deadline).toBe('2026-01-01T01:30:00.000Z');
    const timers = await engine.store.listTimers('default', fork.runId);
    expect(timers.filter((t) => t.kind === 'run.timeout').map((t) => t.dueAt)).toEqual([
      fork.limits!.deadline,
    ]);
  });

  test('refuses a timeout that is no duration, naming the field, and creates no run', async () => {
    const engine = engineOn(new MemoryStore(), new ManualClock());
    await expect(engine.startRun({ segment: approval(), timeout: 'soon' })).rejects.toMatchObject({
      code: 'LLMT_E_INVALID_ARGUMENT',
      message: expect.stringContaining('timeout'),
    });
    await expect(engine.startRun({ segment: approval(), maxRetries: -1 })).rejects.toMatchObject({
      code: 'LLMT_E_INVALID_ARGUMENT',
      message: expect.stringContaining('maxRetries'),
    });
    expect((await engine.store.listRuns('default')).items).toEqual([]);
    const result = engine.validate({ ...approval('P99999999999D'), max_retries: 1.5 });
    expect(result.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['$.timeout', '$.max_retries']),
    );
  });
});

describe('default max_retries', () => {
  function flaky(failures: number) {
    let calls = 0;
    return {
      calls: () => calls,
      type: defineStepType({
        type: 'flaky',
        displayName: 'Flaky',
        category: 'UTILITY',
        configSchema: {},
        inputs: [{ port_id: 'input' }],
        outputs: [{ port_id: 'output' }],
        handler: () => {
          if (++calls <= failures) throw new Error(`failure ${calls}`);
          return { output: calls };
        },
      }),
    };
  }
  const segment = (maxRetries?: number): SegmentDefinition => ({
    segment_id: 'retrying',
    ...(maxRetries !== undefined ? { max_retries: maxRetries } : {}),
    steps: [{ step_id: 'f', step_type: 'flaky' }],
  });

  async function drive(engine: Engine, clock: ManualClock, runId: string) {
    for (let i = 0; i < 10; i++) {
      const run = await engine.waitForRun(runId);
      if (run.status !== 'waiting_action') return run;
      clock.advance(600_000);
      await pollOnce(engine);
    }
    return engine.waitForRun(runId);
  }

  test("the segment's max_retries retries a step without a retry policy of its own", async () => {
    const clock = new ManualClock();
    const f = flaky(2);
    const engine = engineOn(new MemoryStore(), clock, 'w1', [f.type]);
    await engine.start();
    const run = await engine.startRun({ segment: segment(2) });
    const done = await drive(engine, clock, run.runId);
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({ f: 3 });
    const types = (await engine.store.listEvents('default', run.runId)).map((e) => e.type);
    expect(types.filter((t) => t === 'step.retrying')).toHaveLength(2);
    await engine.stop();
  });

  test("startRun's maxRetries overrides the segment's; without any the step fails at once", async () => {
    const clock = new ManualClock();
    const f = flaky(1);
    const engine = engineOn(new MemoryStore(), clock, 'w1', [f.type]);
    await engine.start();
    const run = await engine.startRun({ segment: segment(3), maxRetries: 0 });
    const done = await drive(engine, clock, run.runId);
    expect(done.status).toBe('failed');
    expect(f.calls()).toBe(1);
    const again = await engine.startRun({
      segment: { ...segment(), segment_id: 'retrying_none' },
      maxRetries: 1,
    });
    expect((await drive(engine, clock, again.runId)).status).toBe('completed');
    await engine.stop();
  });
});
