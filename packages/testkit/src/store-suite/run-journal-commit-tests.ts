import { type RunRecord } from '@llmteam/core';
import {
  advanceRun,
  at,
  sampleAudit,
  sampleEvent,
  sampleInteraction,
  sampleSnapshot,
  sampleStep,
  sampleTimer,
  startRun,
  uniqueId,
} from '../store-fixtures.js';
import type { RunJournalSuiteContext } from './run-journal-context.js';

/** Atomic commits and optimistic concurrency: a commit lands whole or not at all. */
export function commitTests({
  test,
  expect,
  withStore,
  expectConflict,
  dump,
  concurrency,
}: RunJournalSuiteContext): void {
  test('commits a new run and reads back its header, steps, events, timers and interactions', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const run = await startRun(store, t, 'run-1', {
        steps: [
          sampleStep(t, 'run-1', 'a', { inputs: { in: 1 }, startedAt: at(1) }),
          sampleStep(t, 'run-1', 'b', { status: 'pending', outputs: undefined }),
        ],
        events: [sampleEvent(t, 'run-1', 1, 'run.started'), sampleEvent(t, 'run-1', 2, 'step.started', 'a')],
        timers: { add: [sampleTimer(t, 'run-1', 'tm-1', at(1000))] },
        interactions: [sampleInteraction(t, 'run-1', 'int-1')],
        runOverrides: { lastSeq: 2, idempotencyKey: 'key-1' },
      });
      expect(await store.getRun(t, 'run-1')).toEqual(run);
      const steps = (await store.getSteps(t, 'run-1')).sort((a, b) => (a.stepId < b.stepId ? -1 : 1));
      expect(steps).toEqual([
        sampleStep(t, 'run-1', 'a', { inputs: { in: 1 }, startedAt: at(1) }),
        sampleStep(t, 'run-1', 'b', { status: 'pending', outputs: undefined }),
      ]);
      expect(await store.listEvents(t, 'run-1')).toEqual([
        sampleEvent(t, 'run-1', 1, 'run.started'),
        sampleEvent(t, 'run-1', 2, 'step.started', 'a'),
      ]);
      expect(await store.listTimers(t, 'run-1')).toEqual([sampleTimer(t, 'run-1', 'tm-1', at(1000))]);
      expect(await store.getInteraction(t, 'int-1')).toEqual(sampleInteraction(t, 'run-1', 'int-1'));

      // A later commit replaces only the step it names and appends after the last seq.
      const next = await advanceRun(store, run, 1, {
        steps: [sampleStep(t, 'run-1', 'b', { outputs: { out: 'b2' } })],
      });
      expect(await store.getRun(t, 'run-1')).toEqual(next);
      const after = (await store.getSteps(t, 'run-1')).sort((a, b) => (a.stepId < b.stepId ? -1 : 1));
      expect(after.map((s) => s.outputs)).toEqual([{ out: 'a done' }, { out: 'b2' }]);
      expect((await store.listEvents(t, 'run-1')).map((e) => e.seq)).toEqual([1, 2, 3]);
    }));

  test('returns large step outputs, inputs and run outputs unchanged', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const big = {
        text: 'x'.repeat(100_000),
        list: Array.from({ length: 500 }, (_, i) => ({ i, s: `é${i}` })),
      };
      const run = await startRun(store, t, 'run-big', {
        steps: [sampleStep(t, 'run-big', 'a', { outputs: { out: big, small: 1 } })],
      });
      await advanceRun(store, run, 1, {
        status: 'completed',
        steps: [sampleStep(t, 'run-big', 'b', { inputs: { in: big }, outputs: { out: big } })],
      });
      const done = {
        ...run,
        status: 'completed' as const,
        version: 3,
        lastSeq: 3,
        outputs: { b: { out: big } },
        completedAt: at(9),
      };
      await store.commit({
        tenantId: t,
        runId: 'run-big',
        expectedVersion: 2,
        run: done,
        events: [sampleEvent(t, 'run-big', 3, 'run.completed')],
      });
      const steps = (await store.getSteps(t, 'run-big')).sort((a, b) => (a.stepId < b.stepId ? -1 : 1));
      expect(steps[0].outputs).toEqual({ out: big, small: 1 });
      expect(steps[1].inputs).toEqual({ in: big });
      expect(steps[1].outputs).toEqual({ out: big });
      expect(await store.getRun(t, 'run-big')).toEqual(done);
    }));

  test('rejects a commit at a stale version and leaves nothing of it', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const run = await startRun(store, t, 'run-1', {
        timers: { add: [sampleTimer(t, 'run-1', 'tm-keep', at(500))] },
        audit: [sampleAudit(t, 'run.started')],
      });
      const before = await dump(store, t, 'run-1');
      await expectConflict(
        store.commit({
          tenantId: t,
          runId: 'run-1',
          expectedVersion: 5,
          run: { ...run, version: 6, lastSeq: 2, status: 'completed' },
          steps: [sampleStep(t, 'run-1', 'a')],
          events: [sampleEvent(t, 'run-1', 2)],
          interactions: [sampleInteraction(t, 'run-1', 'int-x')],
          timers: { add: [sampleTimer(t, 'run-1', 'tm-new', at(10))], remove: ['tm-keep'] },
          snapshots: [sampleSnapshot(run, [], 'snap-x')],
          audit: [sampleAudit(t, 'run.completed')],
        }),
      );
      expect(await dump(store, t, 'run-1')).toEqual(before);
      expect(await store.getInteraction(t, 'int-x')).toBeUndefined();
      expect(await store.getSnapshot(t, 'snap-x')).toBeUndefined();
    }));

  test('rejects a stale commit of steps, events and snapshots alone and leaves nothing of it', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const run = await startRun(store, t, 'run-1', {
        steps: [sampleStep(t, 'run-1', 'a', { status: 'running' })],
      });
      const next = await advanceRun(store, run, 1, { steps: [sampleStep(t, 'run-1', 'a')] });
      const before = await dump(store, t, 'run-1');
      // A second writer still at version 1, as a step commit with nothing else would be.
      await expectConflict(
        advanceRun(store, run, 2, {
          steps: [
            sampleStep(t, 'run-1', 'a', { outputs: { out: 'z'.repeat(4000) } }),
            sampleStep(t, 'run-1', 'b'),
          ],
          snapshots: [sampleSnapshot(run, [], 'snap-stale')],
        }),
      );
      expect(await dump(store, t, 'run-1')).toEqual(before);
      expect(await store.getSnapshot(t, 'snap-stale')).toBeUndefined();
      expect((await store.getRun(t, 'run-1'))?.version).toBe(next.version);
    }));

  test('rejects creating a run that already exists and leaves nothing of it', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      await startRun(store, t, 'run-1');
      const before = await dump(store, t, 'run-1');
      await expectConflict(
        startRun(store, t, 'run-1', {
          steps: [sampleStep(t, 'run-1', 'a')],
          timers: { add: [sampleTimer(t, 'run-1', 'tm-new', at(10))] },
          interactions: [sampleInteraction(t, 'run-1', 'int-x')],
          audit: [sampleAudit(t, 'run.started')],
          runOverrides: { status: 'pending' },
        }),
      );
      expect(await dump(store, t, 'run-1')).toEqual(before);
    }));

  test('rejects a commit whose consumed timer is gone and leaves nothing of it', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const run = await startRun(store, t, 'run-1', {
        timers: { add: [sampleTimer(t, 'run-1', 'tm-1', at(10))] },
      });
      const before = await dump(store, t, 'run-1');
      await expectConflict(
        advanceRun(store, run, 2, {
          steps: [sampleStep(t, 'run-1', 'a')],
          // tm-1 exists, tm-gone does not: the whole commit fails, tm-1 included.
          timers: { consume: ['tm-1', 'tm-gone'], add: [sampleTimer(t, 'run-1', 'tm-2', at(20))] },
          audit: [sampleAudit(t, 'timer.fired')],
        }),
      );
      expect(await dump(store, t, 'run-1')).toEqual(before);
    }));

  test('rejects events whose seq does not continue the run and leaves nothing of them', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const run = await startRun(store, t, 'run-1');
      const before = await dump(store, t, 'run-1');
      await expectConflict(
        store.commit({
          tenantId: t,
          runId: 'run-1',
          expectedVersion: 1,
          run: { ...run, version: 2, lastSeq: 3 },
          steps: [sampleStep(t, 'run-1', 'a')],
          events: [sampleEvent(t, 'run-1', 3)],
          audit: [sampleAudit(t, 'x')],
        }),
      );
      expect(await dump(store, t, 'run-1')).toEqual(before);
    }));

  test('finds a run by idempotency key and refuses the key to a second run', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const first = await startRun(store, t, 'run-1', { runOverrides: { idempotencyKey: 'order-42' } });
      expect(await store.findRunByIdempotencyKey(t, 'order-42')).toEqual(first);
      expect(await store.findRunByIdempotencyKey(t, 'order-43')).toBeUndefined();
      await expectConflict(startRun(store, t, 'run-2', { runOverrides: { idempotencyKey: 'order-42' } }));
      expect(await store.getRun(t, 'run-2')).toBeUndefined();
      expect(await store.listEvents(t, 'run-2')).toEqual([]);
      // The same key in another tenant is another key.
      const other = uniqueId('t');
      await startRun(store, other, 'run-2', { runOverrides: { idempotencyKey: 'order-42' } });
      expect((await store.findRunByIdempotencyKey(other, 'order-42'))?.runId).toBe('run-2');
    }));

  test('lets exactly one of two commits at the same version win', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const run = await startRun(store, t, 'run-1');
      const results = await Promise.allSettled([
        advanceRun(store, run, 1, { steps: [sampleStep(t, 'run-1', 'a')] }),
        advanceRun(store, run, 2, { steps: [sampleStep(t, 'run-1', 'b')] }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect((rejected.reason as { code?: string }).code).toBe('LLMT_E_CONFLICT');
      const winner = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<RunRecord>)
        .value;
      expect(await store.getRun(t, 'run-1')).toEqual(winner);
      expect((await store.listEvents(t, 'run-1')).map((e) => e.seq)).toEqual(
        Array.from({ length: winner.lastSeq }, (_, i) => i + 1),
      );
      expect(await store.getSteps(t, 'run-1')).toHaveLength(1);
    }));

  test(
    'keeps each run’s event log gapless under many concurrent committers that retry on conflict',
    () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        await startRun(store, t, 'run-1');
        const perWriter = 6;
        let conflicts = 0;
        await Promise.all(
          Array.from({ length: concurrency }, async (_, w) => {
            for (let done = 0; done < perWriter; ) {
              const current = (await store.getRun(t, 'run-1'))!;
              try {
                await advanceRun(store, current, 1 + (w % 2), {
                  steps: [sampleStep(t, 'run-1', `w${w}`, { attempt: done + 1 })],
                });
                done++;
              } catch (error) {
                if ((error as { code?: string }).code !== 'LLMT_E_CONFLICT') throw error;
                conflicts++;
              }
            }
          }),
        );
        const run = (await store.getRun(t, 'run-1'))!;
        expect(run.version).toBe(1 + concurrency * perWriter);
        const events = await store.listEvents(t, 'run-1');
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: run.lastSeq }, (_, i) => i + 1));
        expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
        expect(await store.getSteps(t, 'run-1')).toHaveLength(concurrency);
        // Not asserted > 0: a store that serializes commits may never see a conflict.
        void conflicts;
      }),
    60_000,
  );
}
