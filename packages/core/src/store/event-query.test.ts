import { describe, expect, test } from 'vitest';
import { storeConformanceSuite } from '../../../testkit/src/store-suite.js';
import { MemoryStore, queryEvents, type Store, type WorktrailEvent } from '../index.js';

/** A store without `queryEvents`, as a third-party store written before it may be. */
function withoutQueryEvents(inner: MemoryStore): Store {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'queryEvents') return undefined;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Store;
}

// The whole suite, event queries answered by the fallback scan.
storeConformanceSuite({
  name: 'MemoryStore without queryEvents',
  create: async () => withoutQueryEvents(new MemoryStore()),
  test,
  expect,
  describe,
});

describe('queryEvents', () => {
  test('the fallback scan and the store method return the same pages', async () => {
    const store = new MemoryStore();
    const types = ['step.started', 'step.completed', 'interaction.requested'];
    for (let r = 0; r < 6; r++) {
      const runId = `run-${r}`;
      const events: WorktrailEvent[] = Array.from({ length: 9 }, (_, i) => ({
        event_id: `${runId}-${i + 1}`,
        tenant_id: 'default',
        run_id: runId,
        seq: i + 1,
        type: types[(i + r) % 3],
        step_id: `s${i % 4}`,
        // Several runs share timestamps, so the run id and seq break ties.
        timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, (i * 7 + r * 3) % 20)).toISOString(),
        data: {},
      }));
      await store.commit({
        tenantId: 'default',
        runId,
        expectedVersion: 0,
        run: {
          runId,
          tenantId: 'default',
          segmentId: r % 2 ? 'odd' : 'even',
          segmentVersion: '1',
          status: 'running',
          input: null,
          version: 1,
          lastSeq: events.length,
          stepsCompleted: 0,
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
        events,
      });
    }
    const scan = withoutQueryEvents(store);
    const queries = [
      {},
      { types: ['step.completed'] },
      { segmentId: 'odd', stepId: 's1' },
      {
        from: '2026-01-01T00:00:05Z',
        to: '2026-01-01T00:00:12Z',
        types: ['step.started', 'interaction.requested'],
      },
      { runId: 'run-3', types: [] },
    ];
    for (const query of queries) {
      for (const limit of [1, 4, 100]) {
        let after: string | undefined;
        let pages = 0;
        do {
          const native = await queryEvents(store, 'default', { ...query, limit, after });
          const fallback = await queryEvents(scan, 'default', { ...query, limit, after });
          expect(fallback).toEqual(native);
          after = native.nextCursor;
          pages++;
        } while (after && pages < 100);
      }
    }
    expect((await queryEvents(store, 'default', { runId: 'run-3', types: [] })).items).toHaveLength(9);
  });
});
