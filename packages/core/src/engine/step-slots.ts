import { LlmteamError } from '../errors.js';

/** One step handler that holds, or waits for, a slot of {@link StepSlots}. */
export interface StepSlot {
  readonly tenantId: string;
  /** `waiting` in its tenant's queue, `held` while its handler runs, `done` once given back. */
  state: 'waiting' | 'held' | 'done';
  /** Called once, when a waiting slot is granted. */
  readonly granted: () => void;
}

/** A tenant's slots in this engine: how many it holds, and who waits (first come, first served). */
interface TenantSlots {
  held: number;
  queue: StepSlot[];
  /** Index of the first waiter in `queue` (the queue is compacted as it drains). */
  head: number;
}

/** How many step handlers a tenant runs and has waiting in this engine. */
export interface TenantSlotUsage {
  running: number;
  waiting: number;
}

/** What an engine shows of its step slots (`engine.slots`). */
export interface StepSlotsView {
  /** Handlers that run at once here (`maxConcurrentSteps`). */
  readonly max: number;
  /** Handlers running and waiting here, by tenant (tenants with neither are left out). */
  usage(): Record<string, TenantSlotUsage>;
}

/**
 * The engine's step slots, shared fairly between tenants. At most `max` handlers run at
 * once, except that a tenant below its fair share (`max` divided by the tenants that have
 * steps running or waiting here) always starts at once: a tenant with a few steps never
 * queues behind another's many, and the slots it takes are the ones the busy tenant does
 * not get back. A freed slot goes to the waiting tenant that holds the fewest (the first
 * of them, in turn, on a tie); within a tenant, steps start in the order they became ready.
 * Waiting costs no store call: a waiting step is already committed as started, and its run's
 * lease is held (and renewed) like that of any run with a step in flight.
 */
export class StepSlots implements StepSlotsView {
  private readonly tenants = new Map<string, TenantSlots>();
  private held = 0;
  private waiting = 0;
  /** Where the next tie between waiting tenants starts (round-robin). */
  private turn = 0;

  constructor(readonly max: number) {
    if (!(max >= 1) || (!Number.isInteger(max) && max !== Number.POSITIVE_INFINITY)) {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `maxConcurrentSteps is ${JSON.stringify(max)}; give a whole number of 1 or more (or Infinity for no limit)`,
      );
    }
  }

  /**
   * Takes a slot for `slot.tenantId`: true when its handler may start now, else false and
   * `slot.granted` is called once a slot is its turn.
   */
  take(slot: StepSlot): boolean {
    const t = this.tenant(slot.tenantId);
    if (
      t.queue.length === t.head &&
      (t.held < this.share() || (this.held < this.max && this.waiting === 0))
    ) {
      slot.state = 'held';
      t.held++;
      this.held++;
      return true;
    }
    // Nothing waiting could be granted before this call, so neither can this slot now.
    slot.state = 'waiting';
    t.queue.push(slot);
    this.waiting++;
    return false;
  }

  /**
   * Gives a slot back (its handler ended) or leaves the queue. True when the slot was still
   * waiting: its handler never started, and `granted` will not be called.
   */
  release(slot: StepSlot): boolean {
    const t = this.tenants.get(slot.tenantId);
    if (!t || slot.state === 'done') return false;
    const was = slot.state;
    slot.state = 'done';
    if (was === 'waiting') {
      const i = t.queue.indexOf(slot, t.head);
      if (i >= 0) t.queue.splice(i, 1);
      this.waiting--;
    } else {
      t.held--;
      this.held--;
    }
    this.compact(slot.tenantId, t);
    // A freed slot, or a tenant gone (the others' shares grow), may let a waiter start.
    this.grant();
    return was === 'waiting';
  }

  /** Grants every waiting slot, whatever the limit (the engine stops: none of them starts a handler). */
  flush(): void {
    const granted: StepSlot[] = [];
    for (const [id, t] of this.tenants) {
      while (t.head < t.queue.length) granted.push(this.hand(t));
      this.compact(id, t);
    }
    for (const slot of granted) slot.granted();
  }

  /** Handlers running and waiting here, by tenant (tenants with neither are left out). */
  usage(): Record<string, TenantSlotUsage> {
    const out: Record<string, TenantSlotUsage> = {};
    for (const [id, t] of this.tenants) out[id] = { running: t.held, waiting: t.queue.length - t.head };
    return out;
  }

  /** A tenant's fair share: the slots divided by the tenants with steps running or waiting. */
  private share(): number {
    return Math.max(1, Math.floor(this.max / Math.max(1, this.tenants.size)));
  }

  /** Hands freed slots to waiting tenants, fewest held first, while the limit or their share allows. */
  private grant(): void {
    // Handlers start after the bookkeeping: one that ends at once releases its slot re-entrantly.
    const granted: StepSlot[] = [];
    while (this.waiting > 0) {
      let best: TenantSlots | undefined;
      let bestId = '';
      let index = 0;
      let bestRank = Number.POSITIVE_INFINITY;
      const size = this.tenants.size;
      for (const [id, t] of this.tenants) {
        if (t.head < t.queue.length) {
          // Fewest held first; on a tie, the first at or after this turn's starting point.
          const rank = t.held * size + ((index - this.turn + size) % size);
          if (rank < bestRank) {
            bestRank = rank;
            best = t;
            bestId = id;
          }
        }
        index++;
      }
      if (!best || (this.held >= this.max && best.held >= this.share())) break;
      this.turn = (this.turn + 1) % Math.max(1, size);
      granted.push(this.hand(best));
      this.compact(bestId, best);
    }
    for (const slot of granted) slot.granted();
  }

  /** Moves the first waiter of `t` to the holders. */
  private hand(t: TenantSlots): StepSlot {
    const slot = t.queue[t.head]!;
    t.head++;
    this.waiting--;
    t.held++;
    this.held++;
    slot.state = 'held';
    return slot;
  }

  private tenant(id: string): TenantSlots {
    let t = this.tenants.get(id);
    if (!t) {
      t = { held: 0, queue: [], head: 0 };
      this.tenants.set(id, t);
    }
    return t;
  }

  /** Drops a tenant with nothing running or waiting, and the served part of a long queue. */
  private compact(id: string, t: TenantSlots): void {
    if (t.head === t.queue.length) {
      t.queue.length = 0;
      t.head = 0;
      if (t.held === 0 && this.tenants.get(id) === t) this.tenants.delete(id);
    } else if (t.head > 1024 && t.head * 2 > t.queue.length) {
      t.queue.splice(0, t.head);
      t.head = 0;
    }
  }
}
