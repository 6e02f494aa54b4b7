import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, defineStepType, ManualClock, type StepTypeDefinition } from '@llmteam/core';
import { afterAll, describe, expect, test } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-interrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEGMENT = { segment_id: 'batch', steps: [{ step_id: 'b', step_type: 'batch' }] };

interface Hold {
  at: number;
  reached: Promise<void>;
  go: Promise<void>;
}

function opened(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  return { promise: new Promise<void>((r) => (open = r)), open };
}

/**
 * Items 0..9, a checkpoint after each; at a safe point it stops when a pause was asked for
 * (unless `heedPause` is false). Before item `hold.at` it waits for `hold.go`.
 */
function batch(
  processed: number[],
  hold?: Hold & { arrive: () => void },
  heedPause = true,
): StepTypeDefinition {
  return defineStepType({
    type: 'batch',
    displayName: 'Batch',
    category: 'UTILITY',
    configSchema: {},
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    async handler(ctx) {
      let { next, sum } = (ctx.checkpointed as { next: number; sum: number } | undefined) ?? {
        next: 0,
        sum: 0,
      };
      while (next < 10) {
        if (hold && next === hold.at) {
          hold.arrive();
          await hold.go;
        }
        processed.push(next);
        sum += next;
        next++;
        await ctx.checkpoint({ next, sum });
        if (heedPause && ctx.pauseRequested) ctx.interrupt();
      }
      return { output: { sum, key: ctx.idempotencyKey } };
    },
  });
}

describe('interruptible steps on SQLite across a restart', () => {
  test('a step paused at a safe point continues from its saved progress in a new engine on the same file', async () => {
    const path = join(dir, 'graceful.sqlite');
    const processed: number[] = [];
    const reached = opened();
    const go = opened();
    const clock = new ManualClock();
    const hold = { at: 4, reached: reached.promise, go: go.promise, arrive: reached.open };
    const first = createEngine({
      store: new SqliteStore({ path }),
      clock,
      workerId: 'first',
      stepTypes: [batch(processed, hold)],
    });
    const run = await first.startRun({ segment: SEGMENT });
    await reached.promise;
    await first.pauseRun(run.runId);
    go.open();
    await first.waitForRun(run.runId, { until: ['paused'] });
    for (let i = 0; i < 200; i++) {
      const step = (await first.store.getSteps('default', run.runId))[0];
      if (step?.status === 'pending') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await first.stop();
    await first.store.close();

    const second = createEngine({
      store: new SqliteStore({ path }),
      clock,
      workerId: 'second',
      stepTypes: [batch(processed)],
    });
    await second.start();
    const [step] = await second.store.getSteps('default', run.runId);
    expect(step).toMatchObject({ status: 'pending', attempt: 0, checkpoint: { next: 5, sum: 10 } });
    await second.resumeRun(run.runId);
    const done = await second.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ b: { sum: 45, key: `${run.runId}:b:1` } });
    expect(processed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await second.stop();
    await second.store.close();
  });

  test('an engine that dies while its paused run is mid-step: resume in a new engine restarts it from the last checkpoint', async () => {
    const path = join(dir, 'crash.sqlite');
    const processed: number[] = [];
    const reached = opened();
    const never = opened();
    const hold = { at: 6, reached: reached.promise, go: never.promise, arrive: reached.open };
    // The first engine's clock never moves, so its leases are never renewed: it is dead.
    const firstStore = new SqliteStore({ path });
    const first = createEngine({
      store: firstStore,
      clock: new ManualClock(),
      workerId: 'first',
      leaseMs: 10_000,
      stepTypes: [batch(processed, hold, false)],
    });
    const run = await first.startRun({ segment: SEGMENT });
    await reached.promise;
    await first.pauseRun(run.runId);
    expect((await firstStore.getSteps('default', run.runId))[0]).toMatchObject({
      status: 'running',
      checkpoint: { next: 6, sum: 15 },
    });

    const second = createEngine({
      store: new SqliteStore({ path }),
      clock: new ManualClock(Date.UTC(2026, 0, 1, 0, 5)),
      workerId: 'second',
      stepTypes: [batch(processed)],
    });
    await second.start();
    await second.resumeRun(run.runId);
    const done = await second.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ b: { sum: 45, key: `${run.runId}:b:1` } });
    expect(processed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await second.stop();
    await second.store.close();
    await firstStore.close();
  });
});
