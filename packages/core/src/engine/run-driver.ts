import type { ActionCommitRecords } from '../actions/step-actions.js';
import type { StepCloseReason } from '../catalog/step-hooks.js';
import type { CheckpointOptions, StepTypeDefinition } from '../catalog/types.js';
import { isConflict, LlmteamError, StepError, toErrorInfo } from '../errors.js';
import type { SegmentGraph } from '../segment/graph.js';
import type { StepDefinition } from '../segment/types.js';
import {
  OPEN_INTERACTION_STATUSES,
  type RunRecord,
  type RunStatus,
  type SnapshotReason,
  type StepStateRecord,
  type Suspension,
  WAITING_RUN_STATUSES,
  type WorktrailEvent,
} from '../store/types.js';
import { parseDuration } from '../util/duration.js';
import type { EngineInternals } from './internals.js';
import { buildSnapshot } from './snapshot.js';
import { StepCommitImpl } from './step-commit.js';
import { SuspendSignal } from './suspend-signal.js';
import { type Launch, Transaction } from './transaction.js';

const SETTLED = new Set(['completed', 'failed', 'skipped', 'cancelled']);
const TERMINAL = new Set<RunStatus>(['completed', 'failed', 'cancelled']);
/** Waiting run statuses, lowest precedence first: a run waits on the strongest reason any step gives. */
const WAITING = WAITING_RUN_STATUSES.slice().reverse();

type Outcome = (
  | { kind: 'ok'; outputs: Record<string, unknown> }
  | { kind: 'error'; error: unknown; timedOut?: boolean }
  | { kind: 'suspend'; signal: SuspendSignal }
) & { actions?: ActionCommitRecords };

interface InFlight {
  attempt: number;
  abort: (reason: unknown) => void;
}

/**
 * Advances one run in this process while it has work. Every change goes through a
 * serial queue and ends in one store commit; nothing outlives the run's activity (a
 * waiting run has no driver).
 */
export class RunDriver {
  run!: RunRecord;
  readonly steps = new Map<string, StepStateRecord>();
  graph!: SegmentGraph;
  private readonly inFlight = new Map<string, InFlight>();
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private closed = false;

  constructor(
    readonly services: EngineInternals,
    readonly tenantId: string,
    readonly runId: string,
  ) {}

  get key(): string {
    return `${this.tenantId}\u0000${this.runId}`;
  }

  /** Loads the run's state from the store (again, after a conflict). */
  async load(): Promise<boolean> {
    const [run, steps] = await Promise.all([
      this.services.store.getRun(this.tenantId, this.runId),
      this.services.store.getSteps(this.tenantId, this.runId),
    ]);
    if (!run) return false;
    this.run = run;
    this.steps.clear();
    for (const s of steps) this.steps.set(s.stepId, s);
    this.graph = await this.services.graphFor(run.tenantId, run.segmentId, run.segmentVersion);
    return true;
  }

  /** Uses state already in hand (the run was just created by this engine). */
  adopt(run: RunRecord, steps: StepStateRecord[], graph: SegmentGraph): void {
    this.run = run;
    this.graph = graph;
    for (const s of steps) this.steps.set(s.stepId, s);
  }

  /**
   * Queues a change: `fn` fills a transaction, which is committed and then acted on.
   * On a version conflict the state is reloaded and `fn` runs again.
   */
  mutate<T>(fn: (tx: Transaction) => T | Promise<T>, options: { advance?: boolean } = {}): Promise<T> {
    this.pending++;
    // Idle: run at once; busy: after what is queued. Either way one change at a time.
    const task =
      this.queueLength++ === 0 ? this.apply(fn, options) : this.queue.then(() => this.apply(fn, options));
    this.queue = task.then(
      () => {
        this.queueLength--;
      },
      () => {
        this.queueLength--;
      },
    );
    return task;
  }

  private queueLength = 0;

  private async apply<T>(
    fn: (tx: Transaction) => T | Promise<T>,
    options: { advance?: boolean },
  ): Promise<T> {
    try {
      for (let tries = 0; ; tries++) {
        const tx = this.newTx();
        let result: T;
        try {
          result = await fn(tx);
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
          await this.commit(tx);
          return result;
        } catch (error) {
          if (!isConflict(error) || tries >= 20) throw error;
          await this.load();
        }
      }
    } finally {
      this.pending--;
      this.maybeRelease();
    }
  }

  private async advanceReloaded(): Promise<void> {
    const tx = this.newTx();
    tx.candidates = undefined;
    this.advance(tx);
    try {
      await this.commit(tx);
    } catch (error) {
      // Another conflict: whoever changed the run drives it, or the next poll recovers it.
      this.services.logger.warn({ err: error, runId: this.runId }, 'could not start steps after a reload');
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
    const active = !TERMINAL.has(tx.run.status) && tx.run.status !== 'paused';
    for (const s of tx.steps.values()) if (active && s.status === 'pending') tx.run.status = 'running';
    await this.commit(tx);
    return result;
  }

  private newTx(): Transaction {
    return new Transaction({ ...this.run }, this);
  }

  makeEvent(
    type: string,
    seq: number,
    stepId: string | undefined,
    data: Record<string, unknown>,
  ): WorktrailEvent {
    return {
      // Unique and stable: a run id and a gapless seq never repeat.
      event_id: `${this.runId}.${seq}`,
      tenant_id: this.tenantId,
      run_id: this.runId,
      seq,
      type,
      step_id: stepId,
      timestamp: this.services.nowIso(),
      data,
    };
  }

  /** Commits a transaction and applies it to the in-memory state, then launches steps. */
  private async commit(tx: Transaction): Promise<void> {
    if (tx.empty && tx.launches.length === 0) return;
    const now = this.services.nowIso();
    const expectedVersion = this.run.version;
    // tx.run is the transaction's own copy: it becomes the committed header as it is.
    const run = tx.run;
    run.version = expectedVersion + 1;
    run.updatedAt = now;
    const t = tx;
    await this.services.store.commit({
      tenantId: this.tenantId,
      runId: this.runId,
      expectedVersion,
      run,
      steps: tx.steps.size ? [...tx.steps.values()] : undefined,
      events: tx.events.length ? tx.events : undefined,
      interactions: t._interactions?.size ? [...t._interactions.values()] : undefined,
      timers:
        t._timersAdd?.length || t._timersRemove?.length || t._timersConsume?.length
          ? { add: t._timersAdd ?? [], remove: t._timersRemove ?? [], consume: t._timersConsume ?? [] }
          : undefined,
      snapshots: t._snapshots?.length ? t._snapshots : undefined,
      audit: t._audit?.length ? t._audit : undefined,
    });
    this.run = run;
    for (const [id, s] of tx.steps) this.steps.set(id, s);
    if (t._aborts) {
      for (const { stepId, reason } of t._aborts) {
        const flight = this.inFlight.get(stepId);
        if (flight) {
          this.inFlight.delete(stepId);
          flight.abort(reason);
        }
      }
    }
    for (const launch of tx.launches) this.launch(launch);
    if (t._timersAdd?.length) this.services.timerAdded(t._timersAdd);
    if (t._after) for (const fn of t._after) fn();
  }

  step(tx: Transaction, stepId: string): StepStateRecord {
    return (
      tx.steps.get(stepId) ??
      this.steps.get(stepId) ?? {
        tenantId: this.tenantId,
        runId: this.runId,
        stepId,
        status: 'pending',
        attempt: 0,
        iterationAttempts: 0,
        iteration: 0,
        // Every key present from the start: records of one shape keep property access fast.
        inputs: undefined,
        outputs: undefined,
        error: undefined,
        suspension: undefined,
        checkpoint: undefined,
        execution: undefined,
        startedAt: undefined,
        finishedAt: undefined,
      }
    );
  }

  setStep(tx: Transaction, record: StepStateRecord): void {
    tx.steps.set(record.stepId, record);
  }

  /** Input values a step receives from its settled predecessors (and the run input for entries). */
  inputsOf(
    tx: Transaction,
    stepId: string,
  ): { inputs: Record<string, unknown>; arrived: string[]; settled: boolean } {
    const edges = this.graph.incoming.get(stepId)!;
    const own = this.step(tx, stepId).inputs;
    const inputs: Record<string, unknown> = own ? { ...own } : {};
    const arrived: string[] = [];
    let settled = true;
    if (edges.length === 0) {
      inputs.input = this.run.input;
      arrived.push('input');
      return { inputs, arrived, settled };
    }
    for (const edge of edges) {
      const source = this.step(tx, edge.source);
      if (!SETTLED.has(source.status)) {
        settled = false;
        continue;
      }
      if (source.outputs && Object.hasOwn(source.outputs, edge.sourcePort)) {
        inputs[edge.targetPort] = source.outputs[edge.sourcePort];
        arrived.push(edge.targetPort);
      }
    }
    return { inputs, arrived, settled };
  }

  /**
   * Starts every step that became ready, skips those that can no longer run, and settles
   * the run when nothing is left. Adds all of it to `tx`.
   */
  advance(tx: Transaction): void {
    const status = tx.run.status;
    if (TERMINAL.has(status) || status === 'paused' || status === 'pending') return;
    // A stopping engine records outcomes but starts nothing: whoever claims the run next does.
    // Neither does a driver that lost the run to another worker.
    if (this.services.stopping || this.lost) return;
    // Only steps whose inputs may have changed need a look; a skip cascades to its successors.
    const work = tx.candidates ? tx.candidates.slice() : [...this.graph.steps.keys()];
    while (work.length) {
      const stepId = work.pop()!;
      const rec = this.step(tx, stepId);
      if (rec.status !== 'pending') continue;
      if (rec.suspension?.pending) {
        this.markRunning(tx, rec, true, undefined);
        continue;
      }
      const { inputs, arrived, settled } = this.inputsOf(tx, stepId);
      if (!settled) {
        const def = this.graph.steps.get(stepId)!;
        if (this.services.catalog.get(def.step_type)?.readyWhen?.(arrived, def) !== true) continue;
      }
      if (arrived.length === 0) {
        this.setStep(tx, { ...rec, status: 'skipped', finishedAt: this.services.nowIso() });
        tx.emit('step.skipped', stepId, { reason: 'no input arrived: every incoming branch was not taken' });
        for (const e of this.graph.outgoing.get(stepId)!) work.push(e.target);
        continue;
      }
      this.markRunning(tx, rec, false, inputs);
    }
    this.settleRun(tx);
  }

  private markRunning(
    tx: Transaction,
    rec: StepStateRecord,
    resumed: boolean,
    inputs: Record<string, unknown> | undefined,
  ): void {
    const attempt = resumed ? rec.attempt : rec.attempt + 1;
    const execution = this.services.nextExecution();
    this.setStep(tx, {
      ...rec,
      status: 'running',
      execution,
      attempt,
      iterationAttempts: resumed ? rec.iterationAttempts : rec.iterationAttempts + 1,
      startedAt: resumed ? rec.startedAt : this.services.nowIso(),
      error: undefined,
      suspension: rec.suspension?.pending ? { ...rec.suspension, pending: false } : rec.suspension,
    });
    tx.emit(
      resumed ? 'step.resumed' : 'step.started',
      rec.stepId,
      resumed ? { attempt } : { attempt, iteration: rec.iteration },
    );
    tx.launches.push({ stepId: rec.stepId, attempt, execution, inputs });
  }

  /** Sets the run's status from its steps: running, waiting, or done. */
  settleRun(tx: Transaction): void {
    const status = tx.run.status;
    if (TERMINAL.has(status) || status === 'paused' || status === 'pending') return;
    let running = false;
    // The waiting status with the highest precedence any waiting step asks for.
    let waiting = -1;
    let open = false;
    for (const stepId of this.graph.steps.keys()) {
      const rec = this.step(tx, stepId);
      switch (rec.status) {
        case 'running':
          running = true;
          break;
        case 'waiting':
          waiting = Math.max(waiting, WAITING.indexOf(`waiting_${rec.suspension?.kind ?? 'action'}`));
          break;
        case 'retry_wait':
          waiting = Math.max(waiting, WAITING.indexOf('waiting_action'));
          break;
        case 'pending':
          open = true;
          break;
      }
    }
    if (running) {
      tx.run.status = 'running';
      return;
    }
    // Pending steps behind a waiting one are blocked by it: the run waits.
    if (waiting >= 0) {
      const status = WAITING[waiting];
      if (tx.run.status !== status) {
        tx.run.status = status;
        tx.emit('run.waiting', undefined, { status });
      }
      return;
    }
    if (open) {
      tx.run.status = 'running';
      return;
    }
    const outputs: Record<string, unknown> = {};
    for (const stepId of this.graph.terminals) {
      const rec = this.step(tx, stepId);
      if (rec.status === 'completed' && rec.outputs) {
        outputs[stepId] = Object.hasOwn(rec.outputs, 'output') ? rec.outputs.output : rec.outputs;
      }
    }
    tx.run.status = 'completed';
    tx.run.outputs = outputs;
    tx.run.completedAt = this.services.nowIso();
    tx.emit('run.completed', undefined, { outputs: Object.keys(outputs) });
  }

  /** Fails the run: aborts what runs, removes its timers, closes its interactions. */
  async failRun(tx: Transaction, error: { code: string; message: string }, stepId?: string): Promise<void> {
    tx.run.status = 'failed';
    tx.run.error = { ...error, details: stepId ? { stepId } : undefined };
    tx.run.completedAt = this.services.nowIso();
    await this.closeOpenWork(tx, {
      cause: 'failed',
      code: 'LLMT_E_STEP_CANCELLED',
      message: 'the run failed',
    });
    tx.emit('run.failed', stepId, { error });
    if (this.services.snapshotOnError) tx.snapshots.push(this.snapshotOf(tx, 'error'));
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

  /** Sends a waiting step back to its handler (same attempt) with `ctx.resume = data`. */
  rerun(tx: Transaction, stepId: string, data: unknown): void {
    const rec = this.step(tx, stepId);
    if (!rec.suspension) return;
    this.setStep(tx, {
      ...rec,
      status: 'pending',
      suspension: {
        ...rec.suspension,
        resume: data ?? null,
        pending: true,
        resumes: rec.suspension.resumes + 1,
      },
    });
    if (tx.candidates) tx.candidates.push(stepId);
    if (tx.run.status !== 'paused') tx.run.status = 'running';
  }

  /** Saves a running handler's checkpoint in a commit of its own. */
  checkpoint(
    stepId: string,
    attempt: number,
    execution: string | undefined,
    state: unknown,
    options: CheckpointOptions = {},
  ): Promise<void> {
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
        for (const e of options.events ?? []) tx.emit(e.type, stepId, e.data);
      },
      { advance: false },
    );
  }

  snapshotOf(tx: Transaction, reason: SnapshotReason) {
    const steps = new Map(this.steps);
    for (const [id, s] of tx.steps) steps.set(id, s);
    const run = { ...tx.run, version: this.run.version + 1 };
    const snapshot = buildSnapshot(
      { run, steps: [...steps.values()] },
      { snapshotId: this.services.ids('snap'), reason, createdAt: this.services.nowIso() },
    );
    tx.emit('snapshot.created', undefined, { snapshot_id: snapshot.snapshotId, reason });
    // The event above moved lastSeq; the snapshot records the state it belongs to.
    return { ...snapshot, seq: tx.run.lastSeq };
  }

  // ---- step execution ----

  private launch({ stepId, attempt, execution, inputs }: Launch): void {
    const def = this.graph.steps.get(stepId)!;
    const type = this.services.catalog.get(def.step_type);
    const flight: InFlight = { attempt, abort: () => undefined };
    this.inFlight.set(stepId, flight);
    this.pending++;
    this.execute(def, type, flight, inputs)
      .then((outcome) => this.onOutcome(stepId, attempt, execution, outcome))
      .catch((error) =>
        this.services.logger.error(
          { err: error, runId: this.runId, stepId },
          'failed to record a step outcome',
        ),
      )
      .finally(() => {
        this.pending--;
        this.maybeRelease();
      });
  }

  /**
   * Runs a handler. The outcome is whichever comes first: the handler's result, an abort
   * (cancel, engine stop) or the step timeout; a handler that ignores its signal is left
   * behind, never waited for.
   */
  private execute(
    def: StepDefinition,
    type: StepTypeDefinition | undefined,
    flight: InFlight,
    given: Record<string, unknown> | undefined,
  ): Promise<Outcome> {
    if (!type) {
      return Promise.resolve({
        kind: 'error',
        error: StepError.nonRetryable(
          `unknown step type "${def.step_type}"; register it before running this segment`,
          { code: 'LLMT_E_UNKNOWN_STEP_TYPE' },
        ),
      });
    }
    const rec = this.steps.get(def.step_id)!;
    const inputs = given ?? this.inputsOf(this.readTx, def.step_id).inputs;
    const ctx = this.services.makeContext({ driver: this, def, type, rec, attempt: flight.attempt, inputs });
    return new Promise<Outcome>((resolve) => {
      let timer: unknown;
      let settled = false;
      const settle = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) this.services.clock.clearTimeout(timer);
        outcome.actions = ctx.takeActionRecords();
        resolve(outcome);
      };
      flight.abort = (reason) => {
        ctx.abort(reason);
        settle({ kind: 'error', error: reason });
      };
      if (def.timeout !== undefined) {
        const timeoutMs = parseDuration(def.timeout, `steps.${def.step_id}.timeout`);
        timer = this.services.clock.setTimeout(() => {
          const error = new StepError(
            `step "${def.step_id}" did not finish within ${timeoutMs} ms; raise its timeout or make the handler faster`,
            {
              code: 'LLMT_E_STEP_TIMEOUT',
            },
          );
          ctx.abort(error);
          settle({ kind: 'error', error, timedOut: true });
        }, timeoutMs);
      }
      let result: ReturnType<NonNullable<StepTypeDefinition['handler']>>;
      try {
        result = type.handler(ctx);
      } catch (error) {
        settle(
          error instanceof SuspendSignal ? { kind: 'suspend', signal: error } : { kind: 'error', error },
        );
        return;
      }
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<Record<string, unknown>>).then(
          (outputs) => settle({ kind: 'ok', outputs: outputs ?? {} }),
          (error) =>
            settle(
              error instanceof SuspendSignal ? { kind: 'suspend', signal: error } : { kind: 'error', error },
            ),
        );
      } else settle({ kind: 'ok', outputs: (result ?? {}) as Record<string, unknown> });
    });
  }

  /** A transaction that is never committed, for reads through {@link step}. */
  private readonly readTx = { steps: new Map() } as unknown as Transaction;

  private onOutcome(stepId: string, attempt: number, execution: string, outcome: Outcome): Promise<void> {
    return this.mutate(async (tx) => {
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
      for (const e of outcome.actions?.events ?? []) tx.emit(e.type, stepId, e.data);
      for (const a of outcome.actions?.audit ?? []) tx.audit.push(a);
      if (outcome.kind === 'ok') {
        const bad = this.checkOutputs(def, rec, outcome.outputs);
        if (!bad) return this.completeStep(tx, rec, outcome.outputs);
        tx.candidates = this.graph.successors.get(stepId)!.slice();
        return this.onError(tx, def, rec, bad);
      }
      tx.candidates = this.graph.successors.get(stepId)!.slice();
      if (outcome.kind === 'suspend') {
        const { payload, options } = outcome.signal;
        const suspension: Suspension = {
          kind: options.kind ?? 'action',
          payload,
          resumes: rec.suspension?.resumes ?? 0,
        };
        this.setStep(tx, { ...rec, status: 'waiting', suspension });
        tx.emit('step.suspended', stepId, { kind: suspension.kind });
        // Records a handler hands over belong to this run and step, whatever they say.
        const own = { tenantId: this.tenantId, runId: this.runId, stepId };
        for (const i of options.interactions ?? []) tx.interactions.set(i.interactionId, { ...i, ...own });
        for (const t of options.timers ?? [])
          tx.timersAdd.push({ ...t, timerId: t.timerId ?? this.services.ids('tmr'), ...own });
        for (const e of options.events ?? []) tx.emit(e.type, stepId, e.data);
        if (options.afterCommit) tx.after.push(options.afterCommit);
        return;
      }
      if (outcome.timedOut)
        await this.closeStep(tx, stepId, { cause: 'timeout', ...toErrorInfo(outcome.error) });
      return this.onError(tx, def, rec, outcome.error);
    });
  }

  /**
   * Records a step's outputs and what follows from them (revision loops, auto snapshots)
   * in `tx`. Also used to complete a suspended step directly from its resume data.
   */
  completeStep(tx: Transaction, rec: StepStateRecord, outputs: Record<string, unknown>): void {
    const now = this.services.nowIso();
    this.setStep(tx, {
      ...rec,
      status: 'completed',
      outputs,
      finishedAt: now,
      suspension: undefined,
      checkpoint: undefined,
    });
    tx.run.stepsCompleted++;
    tx.emit('step.completed', rec.stepId, {
      attempt: rec.attempt,
      ports: Object.keys(outputs),
      duration_ms: rec.startedAt ? this.services.clock.now() - Date.parse(rec.startedAt) : 0,
    });
    const successors = this.graph.successors.get(rec.stepId)!;
    if (tx.candidates) for (const id of successors) tx.candidates.push(id);
    else tx.candidates = successors.slice();
    this.followBackEdges(tx, rec.stepId, outputs);
    const every = this.graph.segment.snapshot_every ?? this.services.snapshotEvery;
    if (every > 0 && tx.run.stepsCompleted % every === 0) {
      // The snapshot shows the steps this transition starts; without the lease none start here.
      if (!tx.detached) this.advance(tx);
      tx.snapshots.push(this.snapshotOf(tx, 'auto'));
    }
  }

  /** Why `outputs` may not be recorded for the step (undeclared port, loop bound reached), if so. */
  checkOutputs(
    def: StepDefinition,
    rec: StepStateRecord,
    outputs: Record<string, unknown>,
  ): LlmteamError | undefined {
    if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) {
      return StepError.nonRetryable(
        `step "${def.step_id}" returned ${JSON.stringify(outputs)}; a handler returns an object keyed by output port`,
        {
          code: 'LLMT_E_STEP_OUTPUT',
        },
      );
    }
    const declared = this.services.portsOf(def).outputs;
    for (const port of Object.keys(outputs)) {
      if (!declared.has(port)) {
        return StepError.nonRetryable(
          `step "${def.step_id}" wrote to undeclared output port "${port}"; declare it in the step's outputs (known: ${[...declared].join(', ')})`,
          {
            code: 'LLMT_E_STEP_OUTPUT',
          },
        );
      }
    }
    for (const edge of this.graph.backOut.get(def.step_id) ?? []) {
      if (!Object.hasOwn(outputs, edge.sourcePort) || !edge.backPort) continue;
      const bound = edge.backPort.bound(def);
      if (typeof bound === 'number' && rec.iteration >= bound) {
        return StepError.nonRetryable(
          `step "${def.step_id}" wrote to back-edge port "${edge.sourcePort}" after ${rec.iteration} loops; its bound is ${bound}, so write another port`,
          { code: 'LLMT_E_LOOP_LIMIT' },
        );
      }
    }
    return undefined;
  }

  /** Records a failed attempt: a retry timer, a routed failure, or a failed run. */
  async onError(tx: Transaction, def: StepDefinition, rec: StepStateRecord, error: unknown): Promise<void> {
    const info = toErrorInfo(error);
    const cancelled = this.run.status === 'cancelled' || info.code === 'LLMT_E_STEP_CANCELLED';
    if (cancelled) return;
    const retry =
      def.retry ??
      this.services.catalog.get(def.step_type)?.defaultRetry?.(def, { actions: this.services.actions });
    const maxAttempts = retry?.max_attempts ?? 1;
    const now = this.services.clock.now();
    if (info.retryable !== false && rec.iterationAttempts < maxAttempts) {
      const base = parseDuration(retry?.backoff ?? 1, `steps.${def.step_id}.retry.backoff`);
      const cap = parseDuration(retry?.max_backoff ?? 300, `steps.${def.step_id}.retry.max_backoff`);
      const raw = Math.min(cap, base * (retry?.multiplier ?? 2) ** (rec.iterationAttempts - 1));
      const jitter = retry?.jitter ?? 0.2;
      const delay = Math.max(0, Math.round(raw * (1 - jitter + 2 * jitter * this.services.random())));
      const timerId = this.services.ids('tmr');
      this.setStep(tx, { ...rec, status: 'retry_wait', error: info });
      tx.timersAdd.push({
        timerId,
        tenantId: this.tenantId,
        runId: this.runId,
        stepId: rec.stepId,
        kind: 'retry',
        dueAt: new Date(now + delay).toISOString(),
        payload: { attempt: rec.attempt },
      });
      tx.emit('step.retrying', rec.stepId, {
        attempt: rec.attempt,
        next_attempt: rec.attempt + 1,
        delay_ms: delay,
        error: info,
      });
      return;
    }
    const onError = def.on_error ?? 'fail';
    const finishedAt = this.services.nowIso();
    if (onError === 'route') {
      this.setStep(tx, { ...rec, status: 'failed', error: info, outputs: { error: info }, finishedAt });
      tx.emit('step.failed', rec.stepId, { attempt: rec.attempt, error: info, routed: true });
      return;
    }
    this.setStep(tx, { ...rec, status: 'failed', error: info, finishedAt });
    tx.emit('step.failed', rec.stepId, { attempt: rec.attempt, error: info });
    if (onError === 'fail') {
      await this.failRun(
        tx,
        { code: info.code, message: `step "${rec.stepId}" failed: ${info.message}` },
        rec.stepId,
      );
    }
  }

  /** A revision loop: sends the revising step (and everything after it) back with the feedback. */
  private followBackEdges(tx: Transaction, stepId: string, outputs: Record<string, unknown>): void {
    for (const edge of this.graph.backOut.get(stepId) ?? []) {
      if (!Object.hasOwn(outputs, edge.sourcePort)) continue;
      const reset = [edge.target, ...this.graph.descendants(edge.target)];
      for (const id of reset) {
        const rec = this.step(tx, id);
        const inputs =
          id === edge.target
            ? { ...(rec.inputs ?? {}), [edge.targetPort]: outputs[edge.sourcePort] }
            : rec.inputs;
        this.setStep(tx, {
          ...rec,
          status: 'pending',
          iteration: rec.iteration + 1,
          iterationAttempts: 0,
          outputs: undefined,
          error: undefined,
          suspension: undefined,
          checkpoint: undefined,
          inputs,
          finishedAt: undefined,
        });
      }
      if (tx.candidates) for (const id of reset) tx.candidates.push(id);
      tx.emit('step.revision', edge.target, {
        from: stepId,
        iteration: this.step(tx, edge.target).iteration,
        reset,
      });
    }
  }

  /** Timer `retry` fired: the step may run again. */
  retryDue(tx: Transaction, stepId: string): void {
    const rec = this.step(tx, stepId);
    if (rec.status !== 'retry_wait') return;
    this.setStep(tx, { ...rec, status: 'pending' });
  }

  /** Set when another worker took the run over: this driver starts nothing any more. */
  lost = false;

  /** The run's lease went to another worker: abort what runs here and start nothing more. */
  markLost(): void {
    this.lost = true;
    this.abortAll(new LlmteamError('LLMT_E_STEP_CANCELLED', 'another worker took the run over'));
  }

  /** Aborts every in-flight handler (engine stop). */
  abortAll(reason: unknown): void {
    for (const [, flight] of this.inFlight) flight.abort(reason);
  }

  /** Resolves once no work of this driver is queued or in flight. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.queue.then(() => new Promise((r) => setTimeout(r, 1)));
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
