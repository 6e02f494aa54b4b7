import { advanceRun, at, sampleTimer, startRun, uniqueId } from '../store-fixtures.js';
import { type StoreConformanceOptions, storeSuiteSupport } from './suite-support.js';

/**
 * Conformance of a store's work queue: due timers handed to one claimer and fired once,
 * run leases and claims, and (with `createPeer`) their exclusivity across instances.
 */
export function workQueueConformanceSuite(options: StoreConformanceOptions): void {
  const { test, expect, describe } = options;
  const { withStore, expectConflict, withPeer } = storeSuiteSupport(options);

  describe(`${options.name} work queue`, () => {
    test('hands each due timer to exactly one of two competing claimers', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const timers = Array.from({ length: 20 }, (_, i) =>
          sampleTimer(t, 'run-1', `tm-${String(i).padStart(2, '0')}`, at(i)),
        );
        await startRun(store, t, 'run-1', {
          timers: { add: [...timers, sampleTimer(t, 'run-1', 'tm-later', at(60_000))] },
        });
        const claim = (owner: string) =>
          store.claimDueTimers({ owner, leaseMs: 30_000, now: at(1000), limit: 25 });
        const rounds = await Promise.all([claim('engine-a'), claim('engine-b')]);
        const mine = rounds.map((r) => r.filter((x) => x.tenantId === t));
        const a = mine[0].map((x) => x.timerId);
        const b = mine[1].map((x) => x.timerId);
        // A third claimer finds nothing while the leases live.
        expect((await claim('engine-c')).filter((x) => x.tenantId === t)).toEqual([]);
        expect(a.filter((id) => b.includes(id))).toEqual([]);
        expect(new Set([...a, ...b]).size).toBe(20);
        expect([...a, ...b].includes('tm-later')).toBe(false);
        const first = [...mine[0], ...mine[1]][0];
        expect(first).toEqual(timers.find((x) => x.timerId === first.timerId));
      }));

    test('keeps a claimed timer from other claimers until its lease expires', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        await startRun(store, t, 'run-1', { timers: { add: [sampleTimer(t, 'run-1', 'tm-1', at(0))] } });
        const claim = (owner: string, now: number) =>
          store
            .claimDueTimers({ owner, leaseMs: 1000, now: at(now), limit: 10 })
            .then((r) => r.filter((x) => x.tenantId === t).map((x) => x.timerId));
        expect(await claim('a', 10)).toEqual(['tm-1']);
        expect(await claim('b', 500)).toEqual([]);
        expect(await claim('a', 600)).toEqual(['tm-1']);
        expect(await claim('b', 1500)).toEqual([]);
        expect(await claim('b', 1700)).toEqual(['tm-1']);
        expect(await store.listTimers(t, 'run-1')).toHaveLength(1);
      }));

    test('fires a timer once when two commits consume it', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const run = await startRun(store, t, 'run-1', {
          timers: { add: [sampleTimer(t, 'run-1', 'tm-1', at(0))] },
        });
        const r1 = await startRun(store, t, 'run-2', {
          timers: { add: [sampleTimer(t, 'run-2', 'tm-2', at(0))] },
        });
        // Same run: one wins on version. Different runs consuming one timer: one wins on the timer.
        const results = await Promise.allSettled([
          advanceRun(store, run, 1, { timers: { consume: ['tm-1'] } }),
          advanceRun(store, run, 1, { timers: { consume: ['tm-1'] } }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        await advanceRun(store, r1, 1, { timers: { consume: ['tm-2'] } });
        await expectConflict(
          advanceRun(store, (await store.getRun(t, 'run-2'))!, 1, { timers: { consume: ['tm-2'] } }),
        );
        expect(await store.listTimers(t, 'run-1')).toEqual([]);
        expect(await store.listTimers(t, 'run-2')).toEqual([]);
        expect((await store.getRun(t, 'run-2'))?.version).toBe(2);
      }));

    test('reports the earliest due timer and forgets removed ones', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        expect(await store.nextTimerDue()).toBeUndefined();
        const run = await startRun(store, t, 'run-1', {
          timers: {
            add: [sampleTimer(t, 'run-1', 'late', at(5000)), sampleTimer(t, 'run-1', 'early', at(100))],
          },
        });
        expect(await store.nextTimerDue()).toBe(at(100));
        await advanceRun(store, run, 1, { timers: { remove: ['early', 'never-existed'] } });
        expect(await store.nextTimerDue()).toBe(at(5000));
      }));

    test('grants a run lease to one owner at a time, renews it for that owner and frees it on expiry or release', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        await startRun(store, t, 'run-1');
        const lease = (owner: string, now: number) =>
          store.acquireLease(t, 'run-1', { owner, leaseMs: 1000, now: at(now) });
        expect(await lease('a', 0)).toBe(true);
        expect(await lease('b', 500)).toBe(false);
        expect(await lease('a', 900)).toBe(true);
        expect(await lease('b', 1500)).toBe(false);
        expect(await lease('b', 1900)).toBe(true);
        await store.releaseLease(t, 'run-1', 'a');
        expect(await lease('a', 2000)).toBe(false);
        await store.releaseLease(t, 'run-1', 'b');
        expect(await lease('a', 2000)).toBe(true);
        expect(await store.acquireLease(t, 'no-such-run', { owner: 'a', leaseMs: 1000, now: at(0) })).toBe(
          false,
        );
        const both = await Promise.all([lease('x', 10_000), lease('y', 10_000)]);
        expect(both.filter(Boolean)).toHaveLength(1);
      }));

    test('claims only pending or running runs whose lease is free or expired, each for one claimer', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        for (const [id, status] of [
          ['r-pending', 'pending'],
          ['r-running', 'running'],
          ['r-waiting', 'waiting_human'],
          ['r-done', 'completed'],
        ] as const) {
          await startRun(store, t, id, { runOverrides: { status } });
        }
        await startRun(store, t, 'r-leased');
        expect(await store.acquireLease(t, 'r-leased', { owner: 'other', leaseMs: 1000, now: at(0) })).toBe(
          true,
        );
        const mine = (list: Array<{ tenantId: string; runId: string }>) =>
          list
            .filter((x) => x.tenantId === t)
            .map((x) => x.runId)
            .sort();
        const [a, b] = await Promise.all([
          store.claimRuns({ owner: 'a', leaseMs: 1000, now: at(100), limit: 10 }),
          store.claimRuns({ owner: 'b', leaseMs: 1000, now: at(100), limit: 10 }),
        ]);
        expect([...mine(a), ...mine(b)].sort()).toEqual(['r-pending', 'r-running']);
        expect(mine(await store.claimRuns({ owner: 'c', leaseMs: 1000, now: at(500), limit: 10 }))).toEqual(
          [],
        );
        expect(mine(await store.claimRuns({ owner: 'c', leaseMs: 1000, now: at(1200), limit: 10 }))).toEqual([
          'r-leased',
          'r-pending',
          'r-running',
        ]);
        // A claim is a lease: the owner keeps it, others cannot take it.
        expect(await store.acquireLease(t, 'r-pending', { owner: 'a', leaseMs: 1000, now: at(1300) })).toBe(
          false,
        );
        expect(await store.acquireLease(t, 'r-pending', { owner: 'c', leaseMs: 1000, now: at(1300) })).toBe(
          true,
        );
      }));

    if (withPeer) {
      test('keeps leases and claims exclusive across instances (multiProcess)', () =>
        withPeer('multiProcess', async (a, b) => {
          const t = uniqueId('t');
          for (let i = 0; i < 10; i++) {
            await startRun(a, t, `run-${i}`, {
              timers: { add: [sampleTimer(t, `run-${i}`, `tm-${i}`, at(i))] },
            });
          }
          const mine = <T extends { tenantId: string }>(list: T[]) => list.filter((x) => x.tenantId === t);
          const lease = { leaseMs: 60_000, now: at(1000), limit: 10 };
          const [ta, tb] = await Promise.all([
            a.claimDueTimers({ owner: 'a', ...lease }),
            b.claimDueTimers({ owner: 'b', ...lease }),
          ]);
          const timerIds = [...mine(ta), ...mine(tb)].map((x) => x.timerId);
          expect(new Set(timerIds).size).toBe(10);
          expect(timerIds).toHaveLength(10);
          const [ra, rb] = await Promise.all([
            a.claimRuns({ owner: 'a', ...lease }),
            b.claimRuns({ owner: 'b', ...lease }),
          ]);
          const runIds = [...mine(ra), ...mine(rb)].map((x) => x.runId);
          expect(new Set(runIds).size).toBe(10);
          expect(runIds).toHaveLength(10);
          const held = mine(ra)[0] ?? mine(rb)[0];
          const holder = mine(ra).length ? 'a' : 'b';
          const other = holder === 'a' ? b : a;
          expect(
            await other.acquireLease(t, held.runId, {
              owner: holder === 'a' ? 'b' : 'a',
              leaseMs: 1000,
              now: at(2000),
            }),
          ).toBe(false);
          // A commit through the other instance still sees the latest version.
          const current = (await other.getRun(t, held.runId))!;
          await advanceRun(other, current, 1);
          await expectConflict(advanceRun(other === a ? b : a, current, 1));
        }));
    }
  });
}
