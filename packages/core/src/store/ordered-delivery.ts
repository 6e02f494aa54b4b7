import type { WorktrailEvent } from './types.js';

/**
 * Delivers each run's events once and in `seq` order to a store's subscribers, for stores
 * whose events arrive from other processes (a NOTIFY, a message bus) in any order: events
 * at or below the run's delivered mark are dropped, and a gap is filled from the store
 * first. Callers serialise their calls (one delivery at a time). Marks are kept for the
 * most recently delivered `keep` runs.
 */
export class OrderedDelivery {
  private readonly marks = new Map<string, number>();

  constructor(
    /** Reads the events a gap misses: `limit` events after `afterSeq`. */
    private readonly readMissing: (
      tenantId: string,
      runId: string,
      afterSeq: number,
      limit?: number,
    ) => Promise<WorktrailEvent[]>,
    /** Hands a batch (one run, in order) to the subscribers. */
    private readonly emit: (events: WorktrailEvent[]) => void,
    private readonly keep = 10_000,
  ) {}

  /** The highest `seq` delivered for a run, if it was seen. */
  last(tenantId: string, runId: string): number | undefined {
    return this.marks.get(`${tenantId}\u0000${runId}`);
  }

  /** Runs seen so far with their marks, for catching up after a lost connection. */
  followed(): Array<{ tenantId: string; runId: string; last: number }> {
    return [...this.marks].map(([key, last]) => {
      const [tenantId, runId] = key.split('\u0000');
      return { tenantId, runId, last };
    });
  }

  /** Forgets every mark (nobody is subscribed any more). */
  clear(): void {
    this.marks.clear();
  }

  /** Delivers `events` of one run: what is new, after what is missing. */
  async deliver(events: WorktrailEvent[]): Promise<void> {
    if (!events.length) return;
    const { tenant_id: tenantId, run_id: runId } = events[0];
    const key = `${tenantId}\u0000${runId}`;
    const last = this.marks.get(key);
    let batch = events;
    if (last !== undefined) {
      batch = events.filter((e) => e.seq > last);
      if (!batch.length) return;
      if (batch[0].seq > last + 1) {
        const missing = await this.readMissing(tenantId, runId, last, batch[0].seq - last - 1).catch(
          () => [],
        );
        batch = [...missing, ...batch];
      }
    }
    // Re-inserted so the map's order is least recently delivered first; bounded.
    this.marks.delete(key);
    this.marks.set(key, batch[batch.length - 1].seq);
    if (this.marks.size > this.keep) this.marks.delete(this.marks.keys().next().value as string);
    this.emit(batch);
  }
}
