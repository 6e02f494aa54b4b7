import { type WorktrailEvent } from '@llmteam/core';
import { advanceRun, startRun, uniqueId } from '../store-fixtures.js';
import { type StoreConformanceOptions, storeSuiteSupport } from './suite-support.js';

/**
 * Conformance of a store's event bus: committed events reach subscribers once each and in
 * order, never those of a failed commit; and (with `createPeer`) events committed through
 * another instance.
 */
export function eventBusConformanceSuite(options: StoreConformanceOptions): void {
  const { test, expect, describe } = options;
  const { withStore, expectConflict, withPeer } = storeSuiteSupport(options);

  describe(`${options.name} event bus`, () => {
    test('delivers committed events to subscribers once and in order, never those of a failed commit', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const seen: WorktrailEvent[] = [];
        const unsubscribe = store.subscribe((events) =>
          seen.push(...events.filter((e) => e.tenant_id === t)),
        );
        const run = await startRun(store, t, 'run-1');
        const next = await advanceRun(store, run, 2);
        await expectConflict(advanceRun(store, run, 1));
        await advanceRun(store, next, 1);
        // Stores that deliver through another process's feed may be a moment late.
        for (const end = Date.now() + 20_000; seen.length < 4 && Date.now() < end; )
          await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 300)); // nothing more (no duplicate) arrives
        expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
        unsubscribe();
        await advanceRun(store, (await store.getRun(t, 'run-1'))!, 1);
        await new Promise((r) => setTimeout(r, 100));
        expect(seen).toHaveLength(4);
      }));

    if (withPeer) {
      test('delivers events committed through another instance, once each and in order (crossProcessEvents)', () =>
        withPeer('crossProcessEvents', async (a, b) => {
          const t = uniqueId('t');
          const seen: WorktrailEvent[] = [];
          b.subscribe((events) => seen.push(...events.filter((e) => e.tenant_id === t)));
          let run = await startRun(a, t, 'run-1');
          for (let i = 0; i < 4; i++) run = await advanceRun(i % 2 ? b : a, run, 2);
          // Real time bounds only the failure: a peer's feed is a moment late, more so under load.
          for (const end = Date.now() + 20_000; seen.length < 9 && Date.now() < end; )
            await new Promise((r) => setTimeout(r, 20));
          await new Promise((r) => setTimeout(r, 300)); // nothing more (no duplicate) arrives
          expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
        }));
    }
  });
}
