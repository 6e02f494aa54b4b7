import { type InteractionRecord, interactionDueKey, type Store } from '@llmteam/core';
import { advanceRun, at, sampleInteraction, startRun, uniqueId } from '../store-fixtures.js';
import type { RunJournalSuiteContext } from './run-journal-context.js';

/** The SLA-ordered inbox: `listInteractions` with `order: 'due'`, `limit` and `after`. */
export function inboxTests({ test, expect, withStore }: RunJournalSuiteContext): void {
  test('lists open interactions in SLA order in pages (order due, limit, after), closed ones never', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const open = (id: string, created: number, extra: Partial<InteractionRecord> = {}) =>
        sampleInteraction(t, 'run-1', id, { createdAt: at(created), ...extra });
      const run = await startRun(store, t, 'run-1', {
        interactions: [
          open('i-late', 1, { slaBreachAt: at(9000) }),
          open('i-none', 2),
          open('i-deadline', 3, { deadline: at(5000) }),
          open('i-soon', 4, { slaBreachAt: at(1000) }),
          open('i-soon-2', 5, { slaBreachAt: at(1000) }),
          open('i-done', 6, { slaBreachAt: at(10), status: 'completed' }),
        ],
      });
      const ids = async (o: Parameters<Store['listInteractions']>[1]) =>
        (await store.listInteractions(t, o)).map((i) => i.interactionId);
      const order = ['i-soon', 'i-soon-2', 'i-deadline', 'i-late', 'i-none'];
      expect(await ids({ order: 'due' })).toEqual(order);
      const first = await store.listInteractions(t, { order: 'due', limit: 2 });
      expect(first.map((i) => i.interactionId)).toEqual(order.slice(0, 2));
      expect(await ids({ order: 'due', limit: 2, after: interactionDueKey(first[1]) })).toEqual(
        order.slice(2, 4),
      );
      expect(await ids({ order: 'due', status: 'notified' })).toEqual([]);
      // Answered: it leaves the SLA order at once.
      await advanceRun(store, run, 1, {
        interactions: [open('i-soon', 4, { slaBreachAt: at(1000), status: 'completed' })],
      });
      expect(await ids({ order: 'due', limit: 1 })).toEqual(['i-soon-2']);
      expect(await ids({ limit: 2 })).toEqual(['i-late', 'i-none']);
    }));
}
