import {
  isLlmteamError,
  queryEvents,
  type Store,
  verifyAuditChain,
  type WorktrailEvent,
} from '@llmteam/core';
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

/** Listing runs, events and interactions, event queries across runs, erasure and durability. */
export function readTests({
  test,
  expect,
  withStore,
  expectConflict,
  dump,
  options,
}: RunJournalSuiteContext): void {
  test('lists runs newest first, in pages, filtered by status and segment', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      for (let i = 0; i < 7; i++) {
        await startRun(store, t, `run-${i}`, {
          runOverrides: {
            createdAt: at(i * 1000),
            status: i % 2 ? 'completed' : 'running',
            segmentId: i < 5 ? 'seg-a' : 'seg-b',
          },
        });
      }
      const ids: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listRuns(t, { limit: 3, after: cursor });
        ids.push(...page.items.map((r) => r.runId));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(ids).toEqual(['run-6', 'run-5', 'run-4', 'run-3', 'run-2', 'run-1', 'run-0']);
      expect(pages).toBe(3);
      expect((await store.listRuns(t, { status: 'completed' })).items.map((r) => r.runId)).toEqual([
        'run-5',
        'run-3',
        'run-1',
      ]);
      expect((await store.listRuns(t, { segmentId: 'seg-b' })).items.map((r) => r.runId)).toEqual([
        'run-6',
        'run-5',
      ]);
      const filtered = await store.listRuns(t, { segmentId: 'seg-a', status: 'running', limit: 2 });
      expect(filtered.items.map((r) => r.runId)).toEqual(['run-4', 'run-2']);
      expect(
        (
          await store.listRuns(t, {
            segmentId: 'seg-a',
            status: 'running',
            limit: 2,
            after: filtered.nextCursor,
          })
        ).items.map((r) => r.runId),
      ).toEqual(['run-0']);
      expect((await store.listRuns(t, { limit: 7 })).nextCursor).toBeUndefined();
    }));

  test('lists events after a seq with a limit, and interactions by status and run', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const run = await startRun(store, t, 'run-1', {
        interactions: [
          sampleInteraction(t, 'run-1', 'i-1', { createdAt: at(1) }),
          sampleInteraction(t, 'run-1', 'i-2', { createdAt: at(2), status: 'completed' }),
        ],
      });
      await advanceRun(store, run, 5, {
        interactions: [sampleInteraction(t, 'run-1', 'i-1', { createdAt: at(1), status: 'notified' })],
      });
      await startRun(store, t, 'run-2', {
        interactions: [sampleInteraction(t, 'run-2', 'i-3', { createdAt: at(3) })],
      });
      expect((await store.listEvents(t, 'run-1', { afterSeq: 2 })).map((e) => e.seq)).toEqual([3, 4, 5, 6]);
      expect((await store.listEvents(t, 'run-1', { afterSeq: 2, limit: 2 })).map((e) => e.seq)).toEqual([
        3, 4,
      ]);
      expect(await store.listEvents(t, 'run-1', { afterSeq: 6 })).toEqual([]);
      const ids = async (o: Parameters<Store['listInteractions']>[1]) =>
        (await store.listInteractions(t, o)).map((i) => i.interactionId);
      expect(await ids({})).toEqual(['i-1', 'i-2', 'i-3']);
      expect(await ids({ status: 'notified' })).toEqual(['i-1']);
      expect(await ids({ status: ['pending', 'completed'] })).toEqual(['i-2', 'i-3']);
      expect(await ids({ runId: 'run-2' })).toEqual(['i-3']);
      expect((await store.getInteraction(t, 'i-1'))?.status).toBe('notified');
    }));

  test('queries events across runs by type, step, run, segment and time, in pages ordered by time', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const other = uniqueId('t');
      // Events at times out of seq order across runs; two runs share a timestamp.
      const ev = (runId: string, seq: number, type: string, ms: number, stepId?: string): WorktrailEvent => ({
        ...sampleEvent(t, runId, seq, type, stepId),
        timestamp: at(ms),
      });
      await startRun(store, t, 'run-a', {
        runOverrides: { segmentId: 'seg-a' },
        events: [
          ev('run-a', 1, 'run.started', 100),
          ev('run-a', 2, 'step.started', 200, 'price'),
          ev('run-a', 3, 'step.completed', 500, 'price'),
          ev('run-a', 4, 'step.started', 500, 'approve'),
        ],
      });
      await startRun(store, t, 'run-b', {
        runOverrides: { segmentId: 'seg-b' },
        events: [
          ev('run-b', 1, 'run.started', 150),
          ev('run-b', 2, 'step.started', 300, 'price'),
          ev('run-b', 3, 'step.completed', 500, 'price'),
        ],
      });
      await startRun(store, other, 'run-a', {
        events: [{ ...sampleEvent(other, 'run-a', 1, 'step.completed', 'price'), timestamp: at(400) }],
      });
      const keys = async (q: Parameters<typeof queryEvents>[2]) =>
        (await queryEvents(store, t, q)).items.map((e) => `${e.run_id}:${e.seq}`);

      expect(await keys({})).toEqual([
        'run-a:1',
        'run-b:1',
        'run-a:2',
        'run-b:2',
        'run-a:3',
        'run-a:4',
        'run-b:3',
      ]);
      expect(await keys({ types: ['step.completed'] })).toEqual(['run-a:3', 'run-b:3']);
      expect(await keys({ types: ['run.started', 'step.completed'] })).toEqual([
        'run-a:1',
        'run-b:1',
        'run-a:3',
        'run-b:3',
      ]);
      expect(await keys({ stepId: 'price', types: ['step.started'] })).toEqual(['run-a:2', 'run-b:2']);
      expect(await keys({ runId: 'run-b' })).toEqual(['run-b:1', 'run-b:2', 'run-b:3']);
      expect(await keys({ segmentId: 'seg-a', types: ['step.started'] })).toEqual(['run-a:2', 'run-a:4']);
      expect(await keys({ from: at(200), to: at(300) })).toEqual(['run-a:2', 'run-b:2']);
      expect(await keys({ types: ['nothing.here'] })).toEqual([]);
      expect(await keys({ runId: 'run-missing' })).toEqual([]);
      const [first] = (await queryEvents(store, t, { types: ['step.completed'] })).items;
      expect(first).toEqual(ev('run-a', 3, 'step.completed', 500, 'price'));

      // Pages of 2 walk the same order without gap or repeat.
      const walked: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await queryEvents(store, t, { limit: 2, after });
        walked.push(...page.items.map((e) => `${e.run_id}:${e.seq}`));
        after = page.nextCursor;
        pages++;
      } while (after && pages < 10);
      expect(walked).toEqual(await keys({}));
      expect(pages).toBe(4);
      expect((await queryEvents(store, t, { limit: 7 })).nextCursor).toBeUndefined();

      const refused = async (q: Parameters<typeof queryEvents>[2]) => {
        try {
          await queryEvents(store, t, q);
          return 'no error';
        } catch (error) {
          return isLlmteamError(error) ? error.code : String(error);
        }
      };
      expect(await refused({ after: 'not-a-cursor' })).toBe('LLMT_E_INVALID_ARGUMENT');
      expect(await refused({ limit: 0 })).toBe('LLMT_E_INVALID_ARGUMENT');
      expect(await refused({ from: 'yesterday' })).toBe('LLMT_E_INVALID_ARGUMENT');
    }));

  test('erases a run and everything derived from it, leaving the audit entry of the erasure', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const big = { out: 'y'.repeat(50_000) };
      const run = await startRun(store, t, 'run-1', {
        steps: [sampleStep(t, 'run-1', 'a', { outputs: big })],
        interactions: [sampleInteraction(t, 'run-1', 'int-1')],
        timers: { add: [sampleTimer(t, 'run-1', 'tm-1', at(10))] },
        audit: [sampleAudit(t, 'run.started', at(1), 'run-1')],
        runOverrides: { idempotencyKey: 'erase-me' },
      });
      await advanceRun(store, run, 1, { snapshots: [sampleSnapshot(run, [], 'snap-1')] });
      await startRun(store, t, 'run-keep', { steps: [sampleStep(t, 'run-keep', 'a', { outputs: big })] });
      await store.eraseRun(t, 'run-1', sampleAudit(t, 'run.erased', at(2), 'run-1'));
      const after = (await dump(store, t, 'run-1')) as { audit: Array<{ action: string }> };
      expect({ ...after, audit: undefined }).toEqual({
        run: undefined,
        steps: [],
        events: [],
        timers: [],
        interactions: [],
        snapshots: [],
        audit: undefined,
      });
      expect(after.audit.map((r) => r.action)).toEqual(['run.started', 'run.erased']);
      expect(verifyAuditChain(await store.listAudit(t)).valid).toBe(true);
      expect(await store.getInteraction(t, 'int-1')).toBeUndefined();
      expect(await store.getSnapshot(t, 'snap-1')).toBeUndefined();
      expect(await store.findRunByIdempotencyKey(t, 'erase-me')).toBeUndefined();
      expect((await store.listRuns(t)).items.map((r) => r.runId)).toEqual(['run-keep']);
      expect((await store.getSteps(t, 'run-keep'))[0].outputs).toEqual(big);
      // The id and the key are free again.
      await startRun(store, t, 'run-1', { runOverrides: { idempotencyKey: 'erase-me' } });
    }));

  const reopen = options.reopen;
  if (reopen) {
    test('keeps runs, events, timers and the audit chain after the store is reopened', async () => {
      let store = await options.create();
      await store.init();
      try {
        const t = uniqueId('t');
        const run = await startRun(store, t, 'run-1', {
          steps: [sampleStep(t, 'run-1', 'a', { outputs: { out: 'z'.repeat(3000) } })],
          timers: { add: [sampleTimer(t, 'run-1', 'tm-1', at(10))] },
          audit: [sampleAudit(t, 'run.started')],
        });
        const next = await advanceRun(store, run, 3, { audit: [sampleAudit(t, 'step.completed')] });
        const before = await dump(store, t, 'run-1');
        store = await reopen(store);
        await store.init();
        expect(await dump(store, t, 'run-1')).toEqual(before);
        expect((await store.listEvents(t, 'run-1', { afterSeq: 1 })).map((e) => e.seq)).toEqual([2, 3, 4]);
        // The reopened store continues where the old one stopped.
        await advanceRun(store, next, 1);
        await expectConflict(advanceRun(store, next, 1));
        expect(verifyAuditChain(await store.listAudit(t)).valid).toBe(true);
      } finally {
        await (options.destroy ? options.destroy(store) : store.close());
      }
    });
  }
}
