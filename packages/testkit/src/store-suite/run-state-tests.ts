import { isLlmteamError, readRunState, type Store } from '@llmteam/core';
import { advanceRun, at, sampleInteraction, sampleStep, startRun, uniqueId } from '../store-fixtures.js';
import type { RunJournalSuiteContext } from './run-journal-context.js';

/**
 * `readRunState` (the store's own, or core's fallback over the other reads) and, for a store
 * declaring `capabilities.commitLease`, the lease a commit takes or gives back.
 */
export function runStateTests({ test, expect, withStore, dump }: RunJournalSuiteContext): void {
  const ids = (list: Array<{ interactionId: string }>) => list.map((i) => i.interactionId).sort();

  test('reads a run, its steps and its open interactions at once, by run or by interaction', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const run = await startRun(store, t, 'run-1', {
        steps: [sampleStep(t, 'run-1', 'a', { status: 'completed' }), sampleStep(t, 'run-1', 'b')],
        interactions: [
          sampleInteraction(t, 'run-1', 'open-1'),
          sampleInteraction(t, 'run-1', 'open-2', { status: 'notified' }),
          sampleInteraction(t, 'run-1', 'closed-1', { status: 'completed' }),
        ],
      });
      await startRun(store, t, 'run-2', { interactions: [sampleInteraction(t, 'run-2', 'other')] });
      const byRun = (await readRunState(store, t, { runId: 'run-1' }))!;
      expect(byRun.run).toEqual(run);
      expect(byRun.steps.map((s) => s.stepId).sort()).toEqual(['a', 'b']);
      expect(ids(byRun.interactions)).toEqual(['open-1', 'open-2']);
      // By a closed interaction: the run's open ones plus the one asked about.
      const byClosed = (await readRunState(store, t, { interactionId: 'closed-1' }))!;
      expect(byClosed.run.runId).toBe('run-1');
      expect(ids(byClosed.interactions)).toEqual(['closed-1', 'open-1', 'open-2']);
      expect(byClosed.interactions.find((i) => i.interactionId === 'closed-1')).toEqual(
        sampleInteraction(t, 'run-1', 'closed-1', { status: 'completed' }),
      );
      // A later commit shows: the answered request is no longer open.
      await advanceRun(store, run, 1, {
        interactions: [sampleInteraction(t, 'run-1', 'open-1', { status: 'completed' })],
      });
      const later = (await readRunState(store, t, { interactionId: 'open-2' }))!;
      expect(later.run.version).toBe(2);
      expect(ids(later.interactions)).toEqual(['open-2']);
    }));

  test('reads no run state of an unknown run or interaction, nor across tenants', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      await startRun(store, t, 'run-1', { interactions: [sampleInteraction(t, 'run-1', 'int-1')] });
      expect(await readRunState(store, t, { runId: 'no-such-run' })).toBeUndefined();
      expect(await readRunState(store, t, { interactionId: 'no-such-request' })).toBeUndefined();
      expect(await readRunState(store, uniqueId('other'), { runId: 'run-1' })).toBeUndefined();
      expect(await readRunState(store, uniqueId('other'), { interactionId: 'int-1' })).toBeUndefined();
    }));

  test('reads the run lease with its state, when the store reads the state itself', () =>
    withStore(async (store) => {
      if (typeof store.readRunState !== 'function') return;
      const t = uniqueId('t');
      await startRun(store, t, 'run-1');
      expect((await store.readRunState(t, { runId: 'run-1' }))!.lease).toBeUndefined();
      await store.acquireLease(t, 'run-1', { owner: 'a', leaseMs: 1000, now: at(0) });
      expect((await store.readRunState(t, { runId: 'run-1' }))!.lease).toEqual({
        owner: 'a',
        until: at(1000),
      });
    }));

  const leaseCode = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return 'no error';
    } catch (error) {
      return isLlmteamError(error) ? error.code : String(error);
    }
  };
  const held = (store: Store, t: string, owner: string, now: number) =>
    store.acquireLease(t, 'run-1', { owner, leaseMs: 1000, now: at(now) });

  test('takes the lease in the commit that creates a run, and gives it back in a later one (commitLease)', () =>
    withStore(async (store) => {
      if (!store.capabilities.commitLease) return;
      const t = uniqueId('t');
      const run = await startRun(store, t, 'run-1', { lease: { owner: 'a', leaseMs: 1000, now: at(0) } });
      expect(await held(store, t, 'b', 500)).toBe(false);
      expect(await held(store, t, 'a', 500)).toBe(true);
      // Renewed by a commit: held until 2500 now, not 1500.
      const next = await advanceRun(store, run, 1, { lease: { owner: 'a', leaseMs: 1000, now: at(1500) } });
      expect(await held(store, t, 'b', 2000)).toBe(false);
      await advanceRun(store, next, 1, { lease: { owner: 'a', leaseMs: 0, now: at(2100) } });
      expect(await held(store, t, 'b', 2200)).toBe(true);
    }));

  test('refuses a commit whose lease another owner holds, writing nothing, and takes an expired one (commitLease)', () =>
    withStore(async (store) => {
      if (!store.capabilities.commitLease) return;
      const t = uniqueId('t');
      const run = await startRun(store, t, 'run-1');
      expect(await held(store, t, 'a', 0)).toBe(true);
      const before = await dump(store, t, 'run-1');
      const refused = advanceRun(store, run, 2, {
        lease: { owner: 'b', leaseMs: 1000, now: at(500) },
        interactions: [sampleInteraction(t, 'run-1', 'int-1')],
      });
      expect(await leaseCode(refused)).toBe('LLMT_E_LEASE_HELD');
      expect(await dump(store, t, 'run-1')).toEqual(before);
      // Nothing was written: the same commit applies once the lease expired, and takes it.
      await advanceRun(store, run, 2, { lease: { owner: 'b', leaseMs: 1000, now: at(1500) } });
      expect((await store.getRun(t, 'run-1'))!.version).toBe(2);
      expect(await held(store, t, 'a', 2000)).toBe(false);
      expect(await held(store, t, 'b', 2000)).toBe(true);
    }));
}
