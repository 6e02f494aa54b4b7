import type { StepCloseReason } from '../catalog/step-hooks.js';
import type { CheckpointOptions, StepTypeDefinition } from '../catalog/types.js';
import { LlmteamError, StepError } from '../errors.js';
import { isTerminalRun, moveRun } from '../lifecycle/run-state.js';
import type { StepDefinition } from '../segment/types.js';
import { OPEN_INTERACTION_STATUSES, type StepStateRecord } from '../store/types.js';
import { type ChangeDone, OutcomeBatches, type OutcomeBatchHost } from './outcome-batch.js';
import { RunChanges } from './run-changes.js';
import { formatTimeout } from './run-limits.js';
import { startSealed } from './sealed-execution.js';
import { waitForSlot } from './slot-wait.js';
import { StepCommitImpl } from './step-commit.js';
import { Invocation, type Outcome } from './step-execution.js';
import { recordStepFailure } from './step-failure.js';
import type { StepSlot } from './step-slots.js';
import { recordSuspension } from './step-suspension.js';
import type { Launch, Transaction } from './transaction.js';

const SETTLED = new Set(['completed', 'failed', 'skipped', 'cancelled']);

/**
 * Advances one run in this process while it has work. Every change goes through a
 * serial queue and ends in one store commit; nothing outlives the run's activity (a
 * waiting run has no driver).
 */
export class RunDriver extends RunChanges implements OutcomeBatchHost {
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

  protected launch(launch: Launch): void {
    const { stepId, attempt, execution } = launch;
    const def = this.graph.steps.get(stepId)!;
    const type = this.services.catalog.get(def.step_type);
    this.pending++;
    const recorded =
      (slot?: StepSlot): ChangeDone =>
      (failed, error) => {
        if (failed) {
          this.services.logger.error(
            { err: error, runId: this.runId, stepId, traceId: this.run.trace?.traceId },
            'failed to record a step outcome',
          );
        }
        if (slot) this.services.slots.release(slot);
        this.pending--;
        this.maybeRelease();
      };
    const record = (outcome: Outcome, slot?: StepSlot) =>
      this.onOutcome(stepId, attempt, execution, outcome, recorded(slot));
    if (!type) {
      this.inFlight.set(stepId, { attempt, abort: () => undefined, pause: () => undefined });
      record({
        kind: 'error',
        error: StepError.nonRetryable(
          `unknown step type "${def.step_type}"; register it before running this segment`,
          { code: 'LLMT_E_UNKNOWN_STEP_TYPE' },
        ),
      });
      return;
    }
    // The handler runs in one of the engine's step slots, shared fairly between tenants. The
    // slot is held until the outcome is committed: one tenant's commits in flight here are
    // bounded by its slots too, so a store busy with them still serves another's.
    const waiting = waitForSlot(this.services.slots, this.tenantId, attempt, {
      start: (slot, paused) => this.start(launch, def, type, paused, (outcome) => record(outcome, slot)),
      wanted: () => this.inFlight.get(stepId) === waiting && !this.services.stopping && !this.lost,
      abandon: () => {
        if (this.inFlight.get(stepId) === waiting) this.inFlight.delete(stepId);
        this.pending--;
        this.maybeRelease();
      },
      abort: (reason) => record({ kind: 'error', error: reason }),
    });
    this.inFlight.set(stepId, waiting);
    waiting.take();
  }

  /** Starts a launched step's handler, in the slot it holds. */
  private start(
    { stepId, attempt, inputs }: Launch,
    def: StepDefinition,
    type: StepTypeDefinition,
    paused: boolean,
    done: (outcome: Outcome) => void,
  ): void {
    const rec = this.steps.get(stepId)!;
    const given = inputs ?? this.inputsOf(this.readTx, stepId).inputs;
    const sealing = this.services.sealing.planOf(this.graph.segment);
    const flight = sealing.active
      ? startSealed(this, sealing, def, type, attempt, rec, given, done)
      : new Invocation(
          attempt,
          this.services.makeContext({ driver: this, def, type, rec, attempt, inputs: given }),
          this.services.clock,
          done,
        );
    this.inFlight.set(stepId, flight);
    if (paused) flight.pause(true);
    if (flight instanceof Invocation) flight.start(def, type);
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

  protected maybeRelease(): void {
    if (this.pending > 0 || this.closed) return;
    this.closed = true;
    this.services.release(this);
  }

  /** True if this driver was released (a new one must be created for further work). */
  get released(): boolean {
    return this.closed;
  }
}
