import type { StepCloseReason } from '../catalog/step-hooks.js';
import type { CheckpointOptions } from '../catalog/types.js';
import { isConflict, isLeaseHeld, LlmteamError, StepError } from '../errors.js';
import { isTerminalRun, moveRun } from '../lifecycle/run-state.js';
import type { StepDefinition } from '../segment/types.js';
import {
  type Commit,
  type InteractionRecord,
  OPEN_INTERACTION_STATUSES,
  type StepStateRecord,
} from '../store/types.js';
import { type ChangeDone, OutcomeBatches, type OutcomeBatchHost } from './outcome-batch.js';
import { copyRun } from './record-copy.js';
import { formatTimeout } from './run-limits.js';
import { RunProgress } from './run-progress.js';
import { startSealed } from './sealed-execution.js';
import { StepCommitImpl } from './step-commit.js';
import { type InFlight, Invocation, type Outcome } from './step-execution.js';
import { recordStepFailure } from './step-failure.js';
import { recordSuspension } from './step-suspension.js';
import { type Launch, Transaction } from './transaction.js';

const SETTLED = new Set(['completed', 'failed', 'skipped', 'cancelled']);

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
 * Advances one run in this process while it has work. Every change goes through a
 * serial queue and ends in one store commit; nothing outlives the run's activity (a
 * waiting run has no driver).
 */
export class RunDriver extends RunProgress implements OutcomeBatchHost {
  private readonly inFlight = new Map<string, InFlight>();
  private pending = 0;
  private closed = false;
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
  private queueLength = 0;

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

  private newTx(): Transaction {
    return new Transaction(copyRun(this.run), this);
  }

  /** Commits a transaction and applies it to the in-memory state, then launches steps. */
  private async commit(tx: Transaction): Promise<void> {
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

  private watchers?: Set<() => void>;
  /** Calls `fn` after each commit of this driver (its state is then the committed one). */
  watch(fn: () => void): () => void {
    this.watchers ??= new Set();
    this.watchers.add(fn);
    return () => this.watchers?.delete(fn);
  }

  /** Fails the run: aborts what runs, removes its timers, closes its interactions. */
  async failRun(
    tx: Transaction,
    error: { code: string; message: string },
    stepId?: string,
    close: StepCloseReason = { cause: 'failed', code: 'LLMT_E_STEP_CANCELLED', message: 'the run failed' },
  ): Promise<void> {
    moveRun(tx.run, 'failed');
    tx.run.error = { ...error, details: stepId ? { stepId } : undefined };
    tx.run.completedAt = this.services.nowIso();
    await this.closeOpenWork(tx, close);
    tx.emit('run.failed', stepId, { error });
    if (this.services.snapshotOnError) tx.snapshots.push(this.snapshotOf(tx, 'error'));
  }

  /**
   * The run's deadline timer fired: fails the run with `LLMT_E_RUN_TIMEOUT` and closes its
   * open work (steps aborted, requests cancelled, child runs cancelled). A run that already
   * ended is left as it is.
   */
  async timeOut(tx: Transaction): Promise<void> {
    if (isTerminalRun(tx.run.status)) return;
    const limit = formatTimeout(tx.run.limits?.timeoutMs ?? 0);
    const message = `run "${this.runId}" did not finish within its timeout ${limit}; raise the segment's \`timeout\` (or startRun's) if it needs longer`;
    await this.failRun(tx, { code: 'LLMT_E_RUN_TIMEOUT', message }, undefined, {
      cause: 'failed',
      code: 'LLMT_E_RUN_TIMEOUT',
      message,
    });
  }

  /**
   * Cancels unfinished steps (each type's `onClose` first), removes the run's timers and
   * cancels its open interactions.
   */
  async closeOpenWork(tx: Transaction, reason: StepCloseReason): Promise<void> {
    for (const stepId of this.graph.steps.keys()) {
      const rec = this.step(tx, stepId);
      if (SETTLED.has(rec.status)) continue;
      if (rec.status !== 'pending') await this.closeStep(tx, stepId, reason);
      if (rec.suspension?.children?.length)
        this.services.childRuns.control(tx, stepId, rec.suspension.children, 'cancel');
      if (rec.status === 'running')
        tx.aborts.push({ stepId, reason: new LlmteamError(reason.code, reason.message) });
      this.setStep(tx, { ...this.step(tx, stepId), status: 'cancelled', finishedAt: this.services.nowIso() });
    }
    const timers = await this.services.store.listTimers(this.tenantId, this.runId);
    for (const t of timers) tx.timersRemove.push(t.timerId);
    const open = await this.services.store.listInteractions(this.tenantId, {
      runId: this.runId,
      status: [...OPEN_INTERACTION_STATUSES],
    });
    for (const i of open) {
      if (tx._interactions?.has(i.interactionId)) continue;
      tx.interactions.set(i.interactionId, { ...i, status: 'cancelled', updatedAt: this.services.nowIso() });
    }
  }

  /** Calls the step type's `onClose` hook, if any. */
  private async closeStep(tx: Transaction, stepId: string, reason: StepCloseReason): Promise<void> {
    const onClose = this.services.catalog.get(this.graph.steps.get(stepId)!.step_type)?.onClose;
    if (onClose) await onClose(this.commitFor(tx, stepId), reason);
  }

  /** The hooks' view of `tx`, bound to one step. */
  commitFor(tx: Transaction, stepId: string): StepCommitImpl {
    return new StepCommitImpl(this, tx, stepId);
  }

  /** Saves a running handler's checkpoint in a commit of its own. */
  checkpoint(
    stepId: string,
    attempt: number,
    execution: string | undefined,
    state: unknown,
    options: CheckpointOptions = {},
  ): Promise<boolean> {
    return this.mutate(
      (tx) => {
        const rec = this.step(tx, stepId);
        if (rec.status !== 'running' || rec.attempt !== attempt || rec.execution !== execution) {
          throw new LlmteamError(
            'LLMT_E_STEP_CANCELLED',
            `step "${stepId}" of run "${this.runId}" is no longer run by this invocation (it is ${rec.status}); its checkpoint was not saved`,
          );
        }
        this.setStep(tx, { ...rec, checkpoint: state });
        for (const e of options.events ?? []) tx.emitDraft(e, stepId);
        if (options.audit?.length) {
          const commit = this.commitFor(tx, stepId);
          for (const a of options.audit) commit.audit(a);
        }
        // A pause made elsewhere shows here: this commit saw the run's latest header.
        return tx.run.status === 'paused';
      },
      { advance: false },
    );
  }

  // ---- step execution ----

  private launch({ stepId, attempt, execution, inputs }: Launch): void {
    const def = this.graph.steps.get(stepId)!;
    const type = this.services.catalog.get(def.step_type);
    this.pending++;
    const recorded: ChangeDone = (failed, error) => {
      if (failed) {
        this.services.logger.error(
          { err: error, runId: this.runId, stepId, traceId: this.run.trace?.traceId },
          'failed to record a step outcome',
        );
      }
      this.pending--;
      this.maybeRelease();
    };
    const done = (outcome: Outcome) => this.onOutcome(stepId, attempt, execution, outcome, recorded);
    if (!type) {
      this.inFlight.set(stepId, { attempt, abort: () => undefined, pause: () => undefined });
      done({
        kind: 'error',
        error: StepError.nonRetryable(
          `unknown step type "${def.step_type}"; register it before running this segment`,
          { code: 'LLMT_E_UNKNOWN_STEP_TYPE' },
        ),
      });
      return;
    }
    const rec = this.steps.get(stepId)!;
    const given = inputs ?? this.inputsOf(this.readTx, stepId).inputs;
    const sealing = this.services.sealing.planOf(this.graph.segment);
    if (sealing.active) {
      this.inFlight.set(stepId, startSealed(this, sealing, def, type, attempt, rec, given, done));
      return;
    }
    const ctx = this.services.makeContext({ driver: this, def, type, rec, attempt, inputs: given });
    const invocation = new Invocation(attempt, ctx, this.services.clock, done);
    this.inFlight.set(stepId, invocation);
    invocation.start(def, type);
  }

  /** A transaction that is never committed, for reads through {@link step}. */
  private readonly readTx = { steps: new Map() } as unknown as Transaction;

  /** Outcomes that arrive together are recorded in one commit. */
  private readonly outcomes = new OutcomeBatches(this);

  /** True while a change of the run is queued or committing. */
  get committing(): boolean {
    return this.queueLength > 0;
  }

  /** True while a handler other than the one reporting runs here (its own entry is still in). */
  get othersRunning(): boolean {
    return this.inFlight.size > 1;
  }

  private onOutcome(
    stepId: string,
    attempt: number,
    execution: string,
    outcome: Outcome,
    recorded: ChangeDone,
  ): void {
    this.outcomes.add((tx) => {
      const flight = this.inFlight.get(stepId);
      if (flight?.attempt === attempt) this.inFlight.delete(stepId);
      const rec = this.step(tx, stepId);
      // A stale outcome changes nothing: the step was cancelled, restored, or restarted by a
      // worker that took the run over (same attempt, new execution).
      if (
        rec.status !== 'running' ||
        rec.attempt !== attempt ||
        (rec.execution !== undefined && rec.execution !== execution)
      )
        return;
      const def = this.graph.steps.get(stepId)!;
      // Action calls are audited in the commit that records what the step made of them.
      for (const e of outcome.actions?.events ?? []) tx.emitDraft(e, stepId);
      for (const a of outcome.actions?.audit ?? []) tx.audit.push(a);
      for (const e of outcome.events ?? []) tx.emitDraft(e, stepId);
      if (outcome.audit?.length) {
        const commit = this.commitFor(tx, stepId);
        for (const a of outcome.audit) commit.audit(a);
      }
      if (outcome.kind === 'ok') {
        const bad = this.checkOutputs(def, rec, outcome.outputs);
        if (!bad) return this.completeStep(tx, rec, outcome.outputs);
        tx.candidates = this.graph.successors.get(stepId)!.slice();
        return this.onError(tx, def, rec, bad);
      }
      tx.candidates = this.graph.successors.get(stepId)!.slice();
      if (outcome.kind === 'suspend') return recordSuspension(this, tx, rec, outcome.signal);
      if (outcome.kind === 'interrupt') return this.interrupted(tx, rec, outcome.signal.progress);
      if (outcome.timedOut) {
        return this.closeStep(tx, stepId, {
          cause: 'timeout',
          ...this.services.errorInfo(outcome.error),
        }).then(() => this.onError(tx, def, rec, outcome.error));
      }
      return this.onError(tx, def, rec, outcome.error);
    }, recorded);
  }

  /**
   * A handler stopped at a safe point (`ctx.interrupt`): the step goes back to pending with
   * its attempt unchanged and its progress as checkpoint; advance starts it again unless
   * the run is paused.
   */
  private interrupted(tx: Transaction, rec: StepStateRecord, progress: { state: unknown } | undefined): void {
    this.setStep(tx, {
      ...rec,
      status: 'pending',
      attempt: rec.attempt - 1,
      iterationAttempts: Math.max(0, rec.iterationAttempts - 1),
      checkpoint: progress ? progress.state : rec.checkpoint,
    });
    tx.candidates = [rec.stepId];
    tx.emit('step.interrupted', rec.stepId, { attempt: rec.attempt, paused: tx.run.status === 'paused' });
  }

  /** Tells the handlers running here that a pause was asked for (or withdrawn). */
  notifyPause(requested: boolean): void {
    for (const flight of this.inFlight.values()) flight.pause(requested);
  }

  /** True when this process runs a handler of the step right now. */
  runsHere(stepId: string): boolean {
    return this.inFlight.has(stepId);
  }

  /** Records a failed attempt: a retry timer, a routed failure, or a failed run. */
  onError(tx: Transaction, def: StepDefinition, rec: StepStateRecord, error: unknown): Promise<void> {
    return recordStepFailure(this, tx, def, rec, error);
  }

  /** The run's lease went to another worker: abort what runs here and start nothing more. */
  markLost(): void {
    this.lost = true;
    this.abortAll(new LlmteamError('LLMT_E_STEP_CANCELLED', 'another worker took the run over'));
    if (this.watchers) for (const fn of this.watchers) fn();
  }

  /** Aborts every in-flight handler (engine stop). */
  abortAll(reason: unknown): void {
    for (const [, flight] of this.inFlight) flight.abort(reason);
  }

  /** Resolves once no work of this driver is queued or in flight. */
  async idle(): Promise<void> {
    while (this.pending > 0) await new Promise((r) => setTimeout(r, 1));
  }

  get busy(): boolean {
    return this.pending > 0;
  }

  private maybeRelease(): void {
    if (this.pending > 0 || this.closed) return;
    this.closed = true;
    this.services.release(this);
  }

  /** True if this driver was released (a new one must be created for further work). */
  get released(): boolean {
    return this.closed;
  }
}
