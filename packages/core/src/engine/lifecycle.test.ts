import { describe, expect, test } from 'vitest';
import {
  createEngine,
  defineStepType,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
  StepError,
  type StepTypeDefinition,
} from '../index.js';
import { eventOf, gate, pollOnce } from './test-helpers.js';

function single(stepType: string, extra: Record<string, unknown> = {}): SegmentDefinition {
  return { segment_id: `one_${stepType}`, steps: [{ step_id: 's', step_type: stepType, ...extra }] };
}

function flaky(
  failures: number,
  error: () => Error = () => new Error('boom'),
): StepTypeDefinition & { calls: number } {
  const def = defineStepType({
    type: 'flaky',
    displayName: 'Flaky',
    category: 'UTILITY',
    configSchema: { type: 'object' },
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    handler(ctx) {
      state.calls++;
      if (state.calls <= failures) throw error();
      return { output: `ok after ${ctx.attempt}` };
    },
  });
  const state = Object.assign(def, { calls: 0 });
  return state;
}

/** A handler that runs until aborted; `seen.started` opens once it runs, `seen.abortedNow` once aborted. */
const hanging = (seen: {
  aborted?: unknown;
  started?: ReturnType<typeof gate<void>>;
  abortedNow?: ReturnType<typeof gate<void>>;
}) =>
  defineStepType({
    type: 'hang',
    displayName: 'Hang',
    category: 'UTILITY',
    configSchema: { type: 'object' },
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    handler(ctx) {
      return new Promise((_, reject) => {
        ctx.signal.addEventListener('abort', () => {
          seen.aborted = ctx.signal.reason;
          seen.abortedNow?.open();
          reject(ctx.signal.reason);
        });
        seen.started?.open();
      });
    },
  });

describe('retries, timeouts and errors', () => {
  test('retries with exponential back-off as durable timers under a fake clock', async () => {
    const clock = new ManualClock();
    const type = flaky(2);
    const engine = createEngine({
      store: new MemoryStore(),
      clock,
      stepTypes: [type],
      random: () => 0.5,
      pollIntervalMs: 60_000,
    });
    await engine.start();
    const run = await engine.startRun({
      segment: single('flaky', { retry: { max_attempts: 3, backoff: 'PT10S', multiplier: 3 } }),
    });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_action');
    const timers = await engine.store.listTimers('default', run.runId);
    expect(timers).toHaveLength(1);
    expect(Date.parse(timers[0].dueAt) - clock.now()).toBe(10_000);
    clock.advance(9_999);
    await pollOnce(engine); // a poll now finds no timer due
    expect(type.calls).toBe(1);
    clock.advance(1);
    await eventOf(engine, run.runId, 'step.retrying', 2);
    expect(type.calls).toBe(2);
    const second = await engine.store.listTimers('default', run.runId);
    expect(Date.parse(second[0].dueAt) - clock.now()).toBe(30_000);
    clock.advance(30_000);
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ s: 'ok after 3' });
    const events = await engine.store.listEvents('default', run.runId);
    expect(events.filter((e) => e.type === 'step.retrying').map((e) => e.data.delay_ms)).toEqual([
      10_000, 30_000,
    ]);
    await engine.stop();
  });

  test('a retry timer fires after a restart of the engine', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const type = flaky(1);
    const first = createEngine({ store, clock, stepTypes: [type] });
    const run = await first.startRun({
      segment: single('flaky', { retry: { max_attempts: 2, backoff: 'PT30S', jitter: 0 } }),
    });
    expect((await first.waitForRun(run.runId)).status).toBe('waiting_action');
    await first.stop();
    clock.advance(30_000); // due while no engine runs
    const second = createEngine({ store, clock, stepTypes: [type] });
    await second.start();
    expect((await second.waitForRun(run.runId, { until: ['completed'] })).outputs).toEqual({
      s: 'ok after 2',
    });
    await second.stop();
  });

  test('a non-retryable StepError fails at once, whatever the retry policy', async () => {
    const type = flaky(5, () => StepError.nonRetryable('bad request'));
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [type] });
    const run = await engine.startRun({ segment: single('flaky', { retry: { max_attempts: 5 } }) });
    const done = await engine.waitForRun(run.runId, { until: ['failed', 'completed'] });
    expect(done.status).toBe('failed');
    expect(done.error?.message).toContain('bad request');
    expect(type.calls).toBe(1);
  });

  test('a hanging handler is timed out (real clock) and its signal aborted', async () => {
    const seen: { aborted?: unknown } = {};
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [hanging(seen)] });
    const run = await engine.startRun({ segment: single('hang', { timeout: 0.05 }) });
    const done = await engine.waitForRun(run.runId, { until: ['failed', 'completed'] });
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('LLMT_E_STEP_TIMEOUT');
    expect((seen.aborted as { code?: string }).code).toBe('LLMT_E_STEP_TIMEOUT');
  });

  test('timeouts follow a fake clock', async () => {
    const clock = new ManualClock();
    const seen = { started: gate() } as Parameters<typeof hanging>[0];
    const engine = createEngine({ store: new MemoryStore(), clock, stepTypes: [hanging(seen)] });
    const run = await engine.startRun({ segment: single('hang', { timeout: 'PT1H' }) });
    await seen.started!.promise;
    clock.advance(3_600_000 - 1);
    expect((await engine.getRun(run.runId))!.run.status).toBe('running');
    expect(seen.aborted).toBeUndefined();
    clock.advance(1);
    expect((await engine.waitForRun(run.runId, { until: ['failed'] })).error?.code).toBe(
      'LLMT_E_STEP_TIMEOUT',
    );
  });

  test('on_error continue skips what depended on the step; route sends the error to the error port', async () => {
    const engine = createEngine({
      store: new MemoryStore(),
      stepTypes: [flaky(100, () => StepError.nonRetryable('down'))],
    });
    const segment: SegmentDefinition = {
      segment_id: 'errors',
      steps: [
        { step_id: 'soft', step_type: 'flaky', on_error: 'continue' },
        { step_id: 'after_soft', step_type: 'transform', config: { expression: '"never"' } },
        { step_id: 'routed', step_type: 'flaky', on_error: 'route' },
        { step_id: 'handler', step_type: 'transform', config: { expression: '"handled " & message' } },
        { step_id: 'independent', step_type: 'transform', config: { expression: '"fine"' } },
      ],
      edges: [
        { source_step: 'soft', target_step: 'after_soft' },
        { source_step: 'routed', source_port: 'error', target_step: 'handler' },
      ],
    };
    const run = await engine.startRun({ segment });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({ handler: 'handled down', independent: 'fine' });
    const steps = (await engine.getRun(run.runId))!.steps;
    expect(steps.find((s) => s.stepId === 'after_soft')?.status).toBe('skipped');
    expect(steps.find((s) => s.stepId === 'soft')?.status).toBe('failed');
  });

  test('a handler that writes an undeclared port fails with a typed error', async () => {
    const engine = createEngine({
      store: new MemoryStore(),
      stepTypes: [
        defineStepType({
          type: 'liar',
          displayName: 'Liar',
          category: 'UTILITY',
          configSchema: {},
          inputs: [{ port_id: 'input' }],
          outputs: [{ port_id: 'output' }],
          handler: () => ({ oops: 1 }),
        }),
      ],
    });
    const run = await engine.startRun({ segment: single('liar') });
    const done = await engine.waitForRun(run.runId, { until: ['failed', 'completed'] });
    expect(done.error?.code).toBe('LLMT_E_STEP_OUTPUT');
  });
});

describe('cancel, pause and resume', () => {
  test('cancel aborts the running handler through its signal and closes the run', async () => {
    const seen = { started: gate(), abortedNow: gate() } as Parameters<typeof hanging>[0];
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [hanging(seen)] });
    const run = await engine.startRun({ segment: single('hang') });
    await seen.started!.promise;
    const cancelled = await engine.cancelRun(run.runId, { reason: 'no longer needed' });
    expect(cancelled.status).toBe('cancelled');
    await seen.abortedNow!.promise;
    expect((seen.aborted as { code?: string }).code).toBe('LLMT_E_STEP_CANCELLED');
    const types = (await engine.store.listEvents('default', run.runId)).map((e) => e.type);
    expect(types.at(-1)).toBe('run.cancelled');
    await expect(engine.cancelRun(run.runId)).rejects.toMatchObject({ code: 'LLMT_E_RUN_STATE' });
  });

  test('pause stops new steps from starting; resume continues where it was', async () => {
    const calls: string[] = [];
    const started = gate();
    const finish = gate();
    const slow = defineStepType({
      type: 'slow',
      displayName: 'Slow',
      category: 'UTILITY',
      configSchema: {},
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'output' }],
      async handler(ctx) {
        calls.push(ctx.stepId);
        if (ctx.stepId === 'a') {
          started.open();
          await finish.promise;
        }
        return { output: ctx.stepId };
      },
    });
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [slow] });
    const run = await engine.startRun({
      segment: {
        segment_id: 'p',
        steps: [
          { step_id: 'a', step_type: 'slow' },
          { step_id: 'b', step_type: 'slow' },
        ],
        edges: [{ source_step: 'a', target_step: 'b' }],
      },
    });
    await started.promise;
    expect((await engine.pauseRun(run.runId)).status).toBe('paused');
    finish.open();
    // The commit that completes `a` is the one that would have started `b`.
    await eventOf(engine, run.runId, 'step.completed');
    const afterA = await engine.store.listEvents('default', run.runId);
    expect(afterA.filter((e) => e.type === 'step.started').map((e) => e.step_id)).toEqual(['a']);
    expect(calls).toEqual(['a']);
    expect((await engine.getRun(run.runId))!.steps.find((s) => s.stepId === 'a')?.status).toBe('completed');
    const snapshots = await engine.store.listSnapshots('default', run.runId);
    expect(snapshots.map((s) => s.reason)).toEqual(['pause']);
    await engine.resumeRun(run.runId);
    expect((await engine.waitForRun(run.runId, { until: ['completed'] })).outputs).toEqual({ b: 'b' });
    expect(calls).toEqual(['a', 'b']);
  });

  test('startRun is idempotent per idempotencyKey', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const segment = {
      segment_id: 'idem',
      steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$' } }],
    };
    const [a, b] = await Promise.all([
      engine.startRun({ segment, input: 1, idempotencyKey: 'order-42' }),
      engine.startRun({ segment, input: 1, idempotencyKey: 'order-42' }),
    ]);
    expect(a.runId).toBe(b.runId);
    expect((await engine.store.listRuns('default')).items).toHaveLength(1);
  });
});

describe('waiting', () => {
  test('a run that starts waiting when its last running branch finishes says so with run.waiting', async () => {
    const suspended = gate();
    const engine = createEngine({
      store: new MemoryStore(),
      stepTypes: [
        defineStepType({
          type: 'gate',
          displayName: 'Gate',
          category: 'UTILITY',
          configSchema: {},
          inputs: [{ port_id: 'input' }],
          outputs: [{ port_id: 'output' }],
          handler: (ctx) => (ctx.resume === undefined ? ctx.suspend({}) : { output: ctx.resume }),
        }),
        defineStepType({
          type: 'slow',
          displayName: 'Slow',
          category: 'UTILITY',
          configSchema: {},
          inputs: [{ port_id: 'input' }],
          outputs: [{ port_id: 'output' }],
          handler: async () => {
            await suspended.promise;
            return { output: 'late' };
          },
        }),
      ],
    });
    const run = await engine.startRun({
      segment: {
        segment_id: 'w',
        steps: [
          { step_id: 'g', step_type: 'gate' },
          { step_id: 's', step_type: 'slow' },
        ],
      },
    });
    // The slow branch finishes only after the gate suspended.
    await eventOf(engine, run.runId, 'step.suspended');
    suspended.open();
    const waiting = await engine.waitForRun(run.runId, { until: ['waiting_action'], timeoutMs: 10_000 });
    expect(waiting.status).toBe('waiting_action');
    const events = await engine.store.listEvents('default', run.runId);
    const types = events.map((e) => e.type);
    expect(types.indexOf('run.waiting')).toBeGreaterThan(types.lastIndexOf('step.completed'));
    expect(events.find((e) => e.type === 'run.waiting')?.data).toEqual({ status: 'waiting_action' });
  });
});

describe('resumed steps', () => {
  test('a resumed step that fails is retried as new attempts, up to max_attempts', async () => {
    const keys: string[] = [];
    const engine = createEngine({
      store: new MemoryStore(),
      stepTypes: [
        defineStepType({
          type: 'ask_then_fail',
          displayName: 'Ask then fail',
          category: 'UTILITY',
          configSchema: {},
          inputs: [{ port_id: 'input' }],
          outputs: [{ port_id: 'output' }],
          handler(ctx) {
            if (ctx.resume === undefined) ctx.suspend({});
            keys.push(ctx.idempotencyKey);
            throw new Error(`downstream failed with ${String(ctx.resume)}`);
          },
        }),
      ],
    });
    const run = await engine.startRun({
      segment: {
        segment_id: 'rf',
        steps: [
          { step_id: 'a', step_type: 'ask_then_fail', retry: { max_attempts: 2, backoff: 0, jitter: 0 } },
        ],
      },
    });
    await engine.start();
    await engine.waitForRun(run.runId);
    await engine.resumeStep(run.runId, 'a', 'yes');
    const done = await engine.waitForRun(run.runId, { until: ['failed', 'completed'], timeoutMs: 5000 });
    await engine.stop();
    expect(done.status).toBe('failed');
    expect(done.error?.message).toContain('downstream failed with yes');
    expect(keys).toEqual([`${run.runId}:a:1`, `${run.runId}:a:2`]);
  });
});
