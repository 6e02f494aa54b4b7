import type { Transaction } from './transaction.js';

/** What recording one step outcome adds to a transaction. */
export type OutcomeChange = (tx: Transaction) => void | Promise<void>;

/** Outcomes recorded by one commit, and that commit. */
interface Batch {
  changes: OutcomeChange[];
  /** Settles with the commit that holds every change of the batch. */
  committed: Promise<void>;
}

const NOOP = (): void => undefined;

/** The driver a batch commits through. */
export interface OutcomeBatchHost {
  /** Queues one serial change of the run (see `RunDriver.mutate`). */
  mutate(fn: (tx: Transaction) => void | Promise<void>): Promise<void>;
  /** True while the run has a change queued or committing. */
  readonly committing: boolean;
  /** Handlers of the run still running in this process, besides those that reported. */
  readonly othersRunning: boolean;
}

/**
 * Folds the outcomes of one run's steps that arrive together into one commit: those of the
 * same tick (parallel branches whose timers fire at once), and those that arrive while a
 * commit of the run is in flight. Nothing acts on an outcome before the commit that holds
 * it, so each is durable before anything depends on it; the events of the batch keep their
 * order of arrival, one gapless run of `seq`.
 */
export class OutcomeBatches {
  /** The batch whose transaction is not filled yet: an outcome arriving now joins it. */
  private open?: Batch;

  constructor(private readonly host: OutcomeBatchHost) {}

  /** Records `change` in the next commit of the run; resolves once it is committed. */
  add(change: OutcomeChange): Promise<void> {
    const open = this.open;
    if (open) {
      open.changes.push(change);
      return open.committed.then(NOOP, () => this.host.mutate(change));
    }
    const batch: Batch = { changes: [change], committed: undefined as unknown as Promise<void> };
    this.open = batch;
    // Busy: the batch waits in the queue and gathers what arrives meanwhile. Idle with
    // siblings still running: their timers may fire in this same turn of the event loop,
    // so the commit waits for the turn to end (one `setImmediate`). Alone: at once.
    batch.committed =
      !this.host.committing && this.host.othersRunning
        ? new Promise<void>((r) => setImmediate(r)).then(() => this.commit(batch))
        : this.commit(batch);
    // One outcome that cannot be recorded must not hold the others back: after a failed
    // batch each is tried in a commit of its own (one that did commit is stale there).
    return batch.committed.catch((error) => {
      if (batch.changes.length === 1) throw error;
      return this.host.mutate(change);
    });
  }

  private commit(batch: Batch): Promise<void> {
    // Not an async function: the change's own promise is what the queue waits for.
    return this.host.mutate((tx) => {
      // Closed once its transaction is filled: later outcomes make the next batch. A retry
      // after a conflict fills a fresh transaction with the same outcomes.
      if (this.open === batch) this.open = undefined;
      return batch.changes.length === 1 ? batch.changes[0](tx) : fillTogether(tx, batch.changes);
    });
  }
}

/**
 * Applies the batch's changes one after the other to `tx`. Each change names the steps
 * whose readiness it may have changed (`tx.candidates`, undefined for all): the union is
 * what `advance` looks at.
 */
async function fillTogether(tx: Transaction, changes: OutcomeChange[]): Promise<void> {
  const candidates: string[] = [];
  let all = false;
  for (const change of changes) {
    tx.candidates = undefined;
    await change(tx);
    // Read again: the change may have set it.
    const named = tx.candidates as string[] | undefined;
    if (named === undefined) all = true;
    else for (const id of named) candidates.push(id);
  }
  tx.candidates = all ? undefined : candidates;
}
