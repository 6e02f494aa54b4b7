import type { Transaction } from './transaction.js';

/** What recording one step outcome adds to a transaction. */
export type OutcomeChange = (tx: Transaction) => void | Promise<void>;

/** Told once a change was recorded (`failed` false) or could not be (`failed` true). */
export type ChangeDone = (failed: boolean, error?: unknown) => void;

/** Outcomes recorded by one commit. */
interface Batch {
  changes: OutcomeChange[];
  done: ChangeDone[];
}

/** The driver a batch commits through. */
export interface OutcomeBatchHost {
  /** Queues one serial change of the run (see `RunDriver.mutate`); `done` is told how it went. */
  enqueue(fn: (tx: Transaction) => void | Promise<void>, done: ChangeDone): void;
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

  /** Records `change` in the next commit of the run; `done` is told once it is committed. */
  add(change: OutcomeChange, done: ChangeDone): void {
    const open = this.open;
    if (open) {
      open.changes.push(change);
      open.done.push(done);
      return;
    }
    const batch: Batch = { changes: [change], done: [done] };
    this.open = batch;
    // Busy: the batch waits in the queue and gathers what arrives meanwhile. Idle with
    // siblings still running: their timers may fire in this same turn of the event loop,
    // so the commit waits for the turn to end (one `setImmediate`). Alone: at once.
    if (!this.host.committing && this.host.othersRunning) setImmediate(() => this.commit(batch));
    else this.commit(batch);
  }

  private commit(batch: Batch): void {
    this.host.enqueue(
      (tx) => {
        // Closed once its transaction is filled: later outcomes make the next batch. A retry
        // after a conflict fills a fresh transaction with the same outcomes.
        if (this.open === batch) this.open = undefined;
        return batch.changes.length === 1 ? batch.changes[0](tx) : fillTogether(tx, batch.changes);
      },
      (failed, error) => {
        if (!failed) for (const done of batch.done) done(false);
        else if (batch.changes.length === 1) batch.done[0](true, error);
        // One outcome that cannot be recorded must not hold the others back: after a failed
        // batch each is tried in a commit of its own (one that did commit is stale there).
        else
          for (let i = 0; i < batch.changes.length; i++) this.host.enqueue(batch.changes[i], batch.done[i]);
      },
    );
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
