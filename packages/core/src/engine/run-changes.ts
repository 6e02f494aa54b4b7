import { isConflict, isLeaseHeld } from '../errors.js';
import { isTerminalRun, moveRun } from '../lifecycle/run-state.js';
import type { Commit } from '../store/types.js';
import type { ChangeDone } from './outcome-batch.js';
import { copyRun } from './record-copy.js';
import { RunProgress } from './run-progress.js';
import type { InFlight } from './step-execution.js';
import { type Launch, Transaction } from './transaction.js';

/** How a queued change is applied (see {@link RunDriver.mutate}). */
interface ChangeOptions {
  /** Start the steps the change made ready, and settle the run (default true). */
  advance?: boolean;
  /** Fill the transaction again after a version conflict (default true). */
  retry?: boolean;
}
const NO_OPTIONS: ChangeOptions = {};

interface QueuedChange {
  fn: (tx: Transaction) => unknown;
  options: ChangeOptions;
  /** Told with the change's result, or its error (`failed`). */
  done: ChangeDone;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * A run's changes, one at a time: each fills a transaction that ends in one store commit,
 * then becomes the driver's state and starts the steps it made ready. Starting steps and
 * recording what they return is {@link RunDriver}'s part.
 */
export abstract class RunChanges extends RunProgress {
  protected readonly inFlight = new Map<string, InFlight>();
  /** Changes queued or applied, plus handlers whose outcome is not recorded yet. */
  protected pending = 0;
  protected closed = false;
  /**
   * True while this driver holds the run's lease in the store. With a store that takes
   * leases in commits (`commitLease`), the first commit takes it and the commit after
   * which nothing is left to do gives it back.
   */
  leaseHeld = false;
  /** Set when a commit found another worker holding the lease: this driver is done. */
  refused = false;

  /**
   * Queues a change: `fn` fills a transaction, which is committed and then acted on.
   * On a version conflict the state is reloaded and `fn` runs again.
   */
  mutate<T>(fn: (tx: Transaction) => T | Promise<T>, options: ChangeOptions = NO_OPTIONS): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queueChange(fn, options, (failed, value) => (failed ? reject(value) : resolve(value as T)));
    });
  }

  /** {@link mutate} without a promise: `done` is told how the change went. */
  enqueue(fn: (tx: Transaction) => unknown, done: ChangeDone): void {
    this.queueChange(fn, NO_OPTIONS, done);
  }

  private queueChange(fn: (tx: Transaction) => unknown, options: ChangeOptions, done: ChangeDone): void {
    this.pending++;
    this.queueLength++;
    this.changes.push({ fn, options, done });
    // Idle: run at once; busy: after what is queued. Either way one change at a time.
    if (!this.pumping) void this.pump();
  }

  /** Changes not yet applied, oldest first; {@link pump} applies them one at a time. */
  private readonly changes: QueuedChange[] = [];
  private pumping = false;
  /** Changes queued or being applied. */
  protected queueLength = 0;

  /**
   * Applies the queued changes one after the other, each in its own commit. One loop for
   * the whole queue: a change costs its commit and its caller's promise, no task of its own.
   */
  private async pump(): Promise<void> {
    this.pumping = true;
    for (let change = this.changes.shift(); change; change = this.changes.shift()) {
      const { fn, options } = change;
      try {
        for (let tries = 0; ; tries++) {
          const tx = this.newTx();
          let result: unknown;
          try {
            const filled = fn(tx);
            result = isThenable(filled) ? await filled : filled;
          } catch (error) {
            // The reload may hold steps another writer made ready (e.g. the answer that won
            // the race): start them, although this change was refused.
            if (tries > 0 && options.advance !== false) await this.advanceReloaded();
            throw error;
          }
          // After a reload anything may have changed: look at every step.
          if (tries > 0) tx.candidates = undefined;
          if (options.advance !== false) this.advance(tx);
          try {
            const commit = this.prepare(tx);
            if (commit) {
              await this.services.store.commit(commit);
              this.committed(tx, commit);
            } else this.launchAll(tx);
            change.done(false, result);
            break;
          } catch (error) {
            if (isLeaseHeld(error)) this.refuse();
            if (!isConflict(error) || tries >= 20 || options.retry === false) throw error;
            await this.load();
          }
        }
      } catch (error) {
        change.done(true, error);
      } finally {
        this.queueLength--;
        this.pending--;
        this.maybeRelease();
      }
    }
    this.pumping = false;
  }

  private async advanceReloaded(): Promise<void> {
    const tx = this.newTx();
    tx.candidates = undefined;
    this.advance(tx);
    try {
      await this.commit(tx);
    } catch (error) {
      // Another conflict: whoever changed the run drives it, or the next poll recovers it.
      this.services.logger.warn(
        { err: error, runId: this.runId, traceId: this.run.trace?.traceId },
        'could not start steps after a reload',
      );
    }
  }

  /**
   * Applies a change without holding the run's lease: no step is started here. Steps made
   * ready leave the run `running`, so the lease holder (or crash recovery) starts them.
   */
  async mutateDetached<T>(fn: (tx: Transaction) => T | Promise<T>): Promise<T> {
    const tx = this.newTx();
    tx.detached = true;
    const result = await fn(tx);
    const active = !isTerminalRun(tx.run.status) && tx.run.status !== 'paused';
    for (const s of tx.steps.values()) if (active && s.status === 'pending') moveRun(tx.run, 'running');
    await this.commit(tx);
    return result;
  }

  /** Another worker holds the run: start nothing, and let the caller apply its change detached. */
  private refuse(): void {
    this.refused = true;
    this.lost = true;
    if (this.watchers) for (const fn of this.watchers) fn();
  }

  /**
   * The lease a commit takes or gives back, when the store takes leases in commits: taken by
   * the first commit of a driver, given back by one after which nothing is left to do here.
   */
  private leaseOf(tx: Transaction): Commit['lease'] {
    if (tx.detached) return undefined;
    const settles =
      tx.launches.length === 0 &&
      this.inFlight.size === 0 &&
      this.queueLength === 1 &&
      tx.run.status !== 'running' &&
      tx.run.status !== 'pending';
    if (this.leaseHeld && !settles) return undefined;
    return this.services.commitLease(settles);
  }

  protected newTx(): Transaction {
    return new Transaction(copyRun(this.run), this);
  }

  /** Commits a transaction and applies it to the in-memory state, then launches steps. */
  protected async commit(tx: Transaction): Promise<void> {
    const commit = this.prepare(tx);
    if (!commit) return this.launchAll(tx);
    await this.services.store.commit(commit);
    this.committed(tx, commit);
  }

  /** The store commit of `tx`, or undefined when it changes nothing. */
  private prepare(tx: Transaction): Commit | undefined {
    if (tx.empty && tx.launches.length === 0) return undefined;
    // A child run that ends tells its parent step, through an outbox timer of this commit.
    if (tx.run.parent && isTerminalRun(tx.run.status) && !isTerminalRun(this.run.status))
      this.services.childRuns.onRunEnd(tx);
    const expectedVersion = this.run.version;
    // tx.run is the transaction's own copy: it becomes the committed header as it is.
    const run = tx.run;
    run.version = expectedVersion + 1;
    run.updatedAt = this.services.nowIso();
    const t = tx;
    // Events, audit entries and requests leave through every API: no resolved secret in them.
    const scrub = this.services.redactor;
    return {
      tenantId: this.tenantId,
      runId: this.runId,
      expectedVersion,
      run,
      steps: tx.steps.size ? [...tx.steps.values()] : undefined,
      events: tx.events.length ? scrub.scrubDeep(tx.events) : undefined,
      interactions: t._interactions?.size ? scrub.scrubDeep([...t._interactions.values()]) : undefined,
      timers:
        t._timersAdd?.length || t._timersRemove?.length || t._timersConsume?.length
          ? { add: t._timersAdd ?? [], remove: t._timersRemove ?? [], consume: t._timersConsume ?? [] }
          : undefined,
      snapshots: t._snapshots?.length ? t._snapshots : undefined,
      audit: t._audit?.length ? scrub.scrubDeep(t._audit) : undefined,
      lease: this.leaseOf(tx),
      admit: t._admit,
    };
  }

  /** `commit` of `tx` is in the store: this driver's state becomes it, then steps start. */
  private committed(tx: Transaction, commit: Commit): void {
    const lease = commit.lease;
    if (lease) this.leaseHeld = lease.leaseMs > 0;
    const t = tx;
    if (t._interactions) for (const i of t._interactions.values()) this.interactions.set(i.interactionId, i);
    const telemetry = this.services.telemetry;
    const run = commit.run;
    if (telemetry.tracing) {
      telemetry.committed({
        before: this.run,
        after: run,
        stepsBefore: this.steps,
        steps: tx.steps,
        interactions: t._interactions,
        stepType: (stepId) => this.graph.steps.get(stepId)?.step_type,
      });
    }
    this.run = run;
    for (const s of tx.steps.values()) this.steps.set(s.stepId, s);
    if (t._aborts) {
      for (const { stepId, reason } of t._aborts) {
        const flight = this.inFlight.get(stepId);
        if (flight) {
          this.inFlight.delete(stepId);
          flight.abort(reason);
        }
      }
    }
    this.launchAll(tx);
    if (t._timersAdd?.length) this.services.timerAdded(t._timersAdd);
    if (t._after) for (const fn of t._after) fn();
    if (this.watchers) for (const fn of this.watchers) fn();
  }

  private launchAll(tx: Transaction): void {
    for (const launch of tx.launches) this.launch(launch);
  }

  protected watchers?: Set<() => void>;
  /** Calls `fn` after each commit of this driver (its state is then the committed one). */
  watch(fn: () => void): () => void {
    this.watchers ??= new Set();
    this.watchers.add(fn);
    return () => this.watchers?.delete(fn);
  }

  /** Starts a step the committed transaction marked running. */
  protected abstract launch(launch: Launch): void;
  /** Lets the run go once nothing is queued or in flight. */
  protected abstract maybeRelease(): void;
}
