import { isLlmteamError, type SnapshotRecord, type Store, verifyAuditChain } from '@llmteam/core';
import { advanceRun, at, sampleAudit, sampleSnapshot, startRun, uniqueId } from '../store-fixtures.js';
import { type StoreConformanceOptions, storeSuiteSupport } from './suite-support.js';

/**
 * Conformance of a store's snapshot listing and deletion: `querySnapshots` filters by run,
 * segment and reason, pages newest first with cursors, keeps labels and segments, and
 * never crosses a tenant; `deleteSnapshot` removes one snapshot and appends its audit
 * entry in the same transaction.
 */
export function snapshotConformanceSuite(options: StoreConformanceOptions): void {
  const { test, expect, describe } = options;
  const { withStore } = storeSuiteSupport(options);

  /** Two runs of segment `seg-a` and one of `seg-b`, with five snapshots in all. */
  async function seed(store: Store, t: string): Promise<SnapshotRecord[]> {
    const a1 = await startRun(store, t, 'run-a1');
    const a2 = await startRun(store, t, 'run-a2');
    const b1 = await startRun(store, t, 'run-b1', { runOverrides: { segmentId: 'seg-b' } });
    const snaps = [
      { ...sampleSnapshot(a1, [], 'snap-1', at(10)), reason: 'auto' as const },
      {
        ...sampleSnapshot(a1, [], 'snap-2', at(20)),
        reason: 'checkpoint' as const,
        label: 'before-migration',
      },
      sampleSnapshot(a2, [], 'snap-3', at(30)),
      sampleSnapshot(b1, [], 'snap-4', at(40)),
      // Same time as snap-3: the id breaks the tie.
      { ...sampleSnapshot(a2, [], 'snap-5', at(30)), label: 'é ünïcode label' },
    ];
    await advanceRun(store, a1, 1, { snapshots: [snaps[0], snaps[1]] });
    await advanceRun(store, a2, 1, { snapshots: [snaps[2], snaps[4]] });
    await advanceRun(store, b1, 1, { snapshots: [snaps[3]] });
    return snaps;
  }
  const ids = (page: { items: SnapshotRecord[] }) => page.items.map((s) => s.snapshotId);

  describe(`${options.name} snapshots`, () => {
    test('lists a segment’s snapshots newest first, by run and by reason, with labels kept', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const snaps = await seed(store, t);
        expect(ids(await store.querySnapshots(t, { segmentId: 'seg-a' }))).toEqual([
          'snap-5',
          'snap-3',
          'snap-2',
          'snap-1',
        ]);
        expect(ids(await store.querySnapshots(t, { runId: 'run-a1' }))).toEqual(['snap-2', 'snap-1']);
        expect(ids(await store.querySnapshots(t, { reason: 'checkpoint' }))).toEqual(['snap-2']);
        expect(ids(await store.querySnapshots(t, {}))).toEqual([
          'snap-4',
          'snap-5',
          'snap-3',
          'snap-2',
          'snap-1',
        ]);
        const latest = await store.querySnapshots(t, { segmentId: 'seg-b', limit: 1 });
        expect(latest.items).toEqual([snaps[3]]);
        const labelled = (await store.querySnapshots(t, { runId: 'run-a1', limit: 1 })).items[0];
        expect(labelled).toEqual(snaps[1]);
        expect(labelled.label).toBe('before-migration');
        expect(labelled.segmentId).toBe('seg-a');
        expect((await store.getSnapshot(t, 'snap-5'))?.label).toBe('é ünïcode label');
      }));

    test('pages with cursors until the last page, which has no cursor', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        await seed(store, t);
        const seen: string[] = [];
        let after: string | undefined;
        let pages = 0;
        do {
          const page = await store.querySnapshots(t, {
            segmentId: 'seg-a',
            limit: 3,
            ...(after ? { after } : {}),
          });
          seen.push(...ids(page));
          after = page.nextCursor;
          pages++;
        } while (after);
        expect(pages).toBe(2);
        expect(seen).toEqual(['snap-5', 'snap-3', 'snap-2', 'snap-1']);
        const exact = await store.querySnapshots(t, { segmentId: 'seg-a', limit: 4 });
        expect(exact.nextCursor).toBeUndefined();
      }));

    test('refuses a bad limit or cursor with LLMT_E_INVALID_ARGUMENT', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        for (const query of [{ limit: 0 }, { limit: 501 }, { limit: 1.5 }, { after: 'not-a-cursor' }]) {
          const error = await store.querySnapshots(t, query).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(isLlmteamError(error) && error.code).toBe('LLMT_E_INVALID_ARGUMENT');
        }
      }));

    test('never lists nor deletes another tenant’s snapshots', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const other = uniqueId('t');
        await seed(store, t);
        expect(ids(await store.querySnapshots(other, {}))).toEqual([]);
        expect(await store.deleteSnapshot(other, 'snap-1', sampleAudit(other, 'snapshot.deleted'))).toBe(
          false,
        );
        expect(await store.getSnapshot(t, 'snap-1')).not.toBeUndefined();
        expect(await store.listAudit(other)).toEqual([]);
      }));

    test('deletes one snapshot with its audit entry in the chain; a second delete finds none', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        await seed(store, t);
        const before = (await store.listAudit(t)).length;
        expect(
          await store.deleteSnapshot(t, 'snap-2', sampleAudit(t, 'snapshot.deleted', at(99), 'run-a1')),
        ).toBe(true);
        expect(await store.getSnapshot(t, 'snap-2')).toBeUndefined();
        expect(ids(await store.querySnapshots(t, { runId: 'run-a1' }))).toEqual(['snap-1']);
        expect((await store.listSnapshots(t, 'run-a1')).map((s) => s.snapshotId)).toEqual(['snap-1']);
        const audit = await store.listAudit(t);
        expect(audit).toHaveLength(before + 1);
        expect(audit[audit.length - 1].action).toBe('snapshot.deleted');
        expect(verifyAuditChain(audit).valid).toBe(true);
        expect(await store.deleteSnapshot(t, 'snap-2', sampleAudit(t, 'snapshot.deleted', at(100)))).toBe(
          false,
        );
        expect(await store.listAudit(t)).toHaveLength(before + 1);
      }));
  });
}
