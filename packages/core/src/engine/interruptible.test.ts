import { eventually } from '@llmteam/testkit';
import { describe, expect, test } from 'vitest';
import { createEngine, defineStepType, type Engine, ManualClock, MemoryStore, type Store } from '../index.js';
import { eventOf, gate } from './test-helpers.js';

/**
 * A long step over items 0..9: it checkpoints after each item, and stops at that safe point
 * when a pause was asked for. Before item `holdAt` it waits for the test to let it go on.
 */
function longStep(
  processed: number[],
  hold: { at: number; reached: ReturnType<typeof gate<void>>; go: ReturnType<typeof gate<void>> },
) {
  return defineStepType({
    type: 'batch',
    displayName: 'Batch',
    category: 'UTILITY',
    configSchema: {},
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    async handler(ctx) {
      const saved = ctx.checkpointed as { next: number; sum: number } | undefined;
      let { next, sum } = saved ?? { next: 0, sum: 0 };
      for (; next < 10; ) {
        if (next === hold.at) {
          hold.reached.open();
          await hold.go.promise;
        }
        processed.push(next);
        sum += next;
        next++;
        await ctx.checkpoint({ next, sum });
        if (ctx.pauseRequested) ctx.interrupt();
      }
      return { output: { sum, key: ctx.idempotencyKey } };
    },
  });
}

const SEGMENT = { segment_id: 'batch', steps: [{ step_id: 'b', step_type: 'batch' }] };

function setup(store: Store = new MemoryStore(), workerId = 'w1') {
  const processed: number[] = [];
  const hold = { at: 4, reached: gate(), go: gate() };
  const make = (id: string) =>
    createEngine({ store, clock: new ManualClock(), workerId: id, stepTypes: [longStep(processed, hold)] });
  return { engine: make(workerId), processed, hold, make };
}

const stepOf = async (engine: Engine, runId: string) =>
  (await engine.getRun(runId))!.steps.find((s) => s.stepId === 'b')!;

describe('interruptible steps', () => {
  test('pauseRun takes effect inside a long step at its next safe point; resume continues from the saved progress', async () => {
    const { engine, processed, hold } = setup();
    const run = await engine.startRun({ segment: SEGMENT });
    await hold.reached.promise;
    expect((await engine.pauseRun(run.runId)).status).toBe('paused');
    hold.go.open();
    const interrupted = await eventOf(engine, run.runId, 'step.interrupted');
    expect(interrupted.data).toEqual({ attempt: 1, paused: true });
    const waiting = await stepOf(engine, run.runId);
    expect(waiting).toMatchObject({ status: 'pending', checkpoint: { next: 5, sum: 10 } });
    expect(processed).toEqual([0, 1, 2, 3, 4]);
    expect((await engine.getRun(run.runId))!.run.status).toBe('paused');
    await engine.resumeRun(run.runId);
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    // Every item once, and the same attempt (same idempotency key) across the interruption.
    expect(done.outputs).toEqual({ b: { sum: 45, key: `${run.runId}:b:1` } });
    expect(processed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const types = (await engine.store.listEvents('default', run.runId)).map((e) => e.type);
    expect(types.filter((t) => t === 'step.started')).toHaveLength(2);
  });

  test('a handler that never looks at pauseRequested finishes its step; the pause holds the next one', async () => {
    const processed: number[] = [];
    const started = gate();
    const go = gate();
    const plain = defineStepType({
      type: 'plain',
      displayName: 'Plain',
      category: 'UTILITY',
      configSchema: {},
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'output' }],
      async handler(ctx) {
        processed.push(ctx.attempt);
        if (ctx.stepId === 'a') {
          started.open();
          await go.promise;
        }
        return { output: ctx.pauseRequested };
      },
    });
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [plain] });
    const run = await engine.startRun({
      segment: {
        segment_id: 'plain',
        steps: [
          { step_id: 'a', step_type: 'plain' },
          { step_id: 'b', step_type: 'plain' },
        ],
        edges: [{ source_step: 'a', target_step: 'b' }],
      },
    });
    await started.promise;
    await engine.pauseRun(run.runId);
    go.open();
    await eventOf(engine, run.runId, 'step.completed');
    const a = (await engine.getRun(run.runId))!.steps.find((s) => s.stepId === 'a')!;
    expect(a.outputs).toEqual({ output: true });
    await engine.resumeRun(run.runId);
    expect((await engine.waitForRun(run.runId, { until: ['completed'] })).outputs).toEqual({ b: false });
  });

  test('a pause made by another engine reaches the handler at its next checkpoint', async () => {
    const store = new MemoryStore();
    const { engine, processed, hold, make } = setup(store, 'runner');
    const other = make('other');
    const run = await engine.startRun({ segment: SEGMENT });
    await hold.reached.promise;
    // The other engine holds no lease: its pause is a detached commit the runner sees later.
    expect((await other.pauseRun(run.runId)).status).toBe('paused');
    hold.go.open();
    await eventOf(engine, run.runId, 'step.interrupted');
    expect(processed).toEqual([0, 1, 2, 3, 4]);
    expect(await stepOf(engine, run.runId)).toMatchObject({ status: 'pending', checkpoint: { next: 5 } });
    await other.resumeRun(run.runId);
    const done = await eventually(async () => {
      const r = (await engine.getRun(run.runId))!.run;
      return r.status === 'completed' ? r : undefined;
    }, 'the run completed after the resume');
    expect(done.outputs).toEqual({ b: { sum: 45, key: `${run.runId}:b:1` } });
    expect(processed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('interrupt without a pause starts the step again at once from its progress', async () => {
    let calls = 0;
    const engine = createEngine({
      store: new MemoryStore(),
      stepTypes: [
        defineStepType({
          type: 'twice',
          displayName: 'Twice',
          category: 'UTILITY',
          configSchema: {},
          inputs: [{ port_id: 'input' }],
          outputs: [{ port_id: 'output' }],
          handler(ctx) {
            calls++;
            if (ctx.checkpointed === undefined) ctx.interrupt({ half: true });
            return { output: ctx.checkpointed };
          },
        }),
      ],
    });
    const run = await engine.startRun({
      segment: { segment_id: 'twice', steps: [{ step_id: 't', step_type: 'twice' }] },
    });
    expect((await engine.waitForRun(run.runId, { until: ['completed'] })).outputs).toEqual({
      t: { half: true },
    });
    expect(calls).toBe(2);
    const interrupted = (await engine.store.listEvents('default', run.runId)).find(
      (e) => e.type === 'step.interrupted',
    );
    expect(interrupted?.data).toEqual({ attempt: 1, paused: false });
  });
});
