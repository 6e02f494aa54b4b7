import type { LlmteamError } from '../errors.js';
import { checkStepMove, isTerminalRun, moveRun } from '../lifecycle/run-state.js';
import type { SegmentGraph } from '../segment/graph.js';
import type { StepDefinition } from '../segment/types.js';
import { readRunState } from '../store/run-state.js';
import {
  type InteractionRecord,
  type RunRecord,
  type RunState,
  type SnapshotReason,
  type StepStateRecord,
  WAITING_RUN_STATUSES,
  type WorktrailEvent,
} from '../store/types.js';
import type { EngineInternals } from './internals.js';
import { copyStep } from './record-copy.js';
import { buildSnapshot } from './snapshot.js';
import { checkStepOutputs } from './step-outputs.js';
import { Transaction } from './transaction.js';

const SETTLED = new Set(['completed', 'failed', 'skipped', 'cancelled']);
/** Waiting run statuses, lowest precedence first: a run waits on the strongest reason any step gives. */
const WAITING = WAITING_RUN_STATUSES.slice().reverse();

/**
 * A run's state as one driver sees it, and how it moves forward: which steps start or are
 * skipped, when the run waits or ends, what a completion, a loop or a retry changes. Every
 * change lands in a transaction; committing it is {@link RunDriver}'s job.
 */
export abstract class RunProgress {
  run!: RunRecord;
  readonly steps = new Map<string, StepStateRecord>();
  graph!: SegmentGraph;
  /**
   * Interactions of the run this driver read or wrote (the open ones, as of its state):
   * `StepCommit.interaction` reads them here. A stale one only costs a conflict, since every
   * change of an interaction is a commit of its run.
   */
  readonly interactions = new Map<string, InteractionRecord>();
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
    const store = this.services.store;
    // One read where the store has it; else the two reads a driver needs (requests are read when asked for).
    if (typeof store.readRunState === 'function') {
      const state = await readRunState(store, this.tenantId, { runId: this.runId });
      if (!state) return false;
      await this.adoptState(state);
      return true;
    }
    const [run, steps] = await Promise.all([
      store.getRun(this.tenantId, this.runId),
      store.getSteps(this.tenantId, this.runId),
    ]);
    if (!run) return false;
    await this.adoptState({ run, steps, interactions: [] });
    return true;
  }

  /** Uses a state read elsewhere (`readRunState`) as this driver's. */
  async adoptState(state: RunState): Promise<void> {
    const { run } = state;
    this.graph = await this.services.graphFor(run.tenantId, run.segmentId, run.segmentVersion);
    this.run = run;
    this.steps.clear();
    for (const s of state.steps) this.steps.set(s.stepId, s);
    this.interactions.clear();
    for (const i of state.interactions) this.interactions.set(i.interactionId, i);
  }

  /** Uses state already in hand (the run was just created by this engine). */
  adopt(run: RunRecord, steps: StepStateRecord[], graph: SegmentGraph): void {
    this.run = run;
    this.graph = graph;
    for (const s of steps) this.steps.set(s.stepId, s);
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

  step(tx: Transaction, stepId: string): StepStateRecord {
    return tx.steps.get(stepId) ?? this.steps.get(stepId) ?? this.freshStep(stepId);
  }

  /** Records of steps not started yet, one per step: records are replaced, never changed. */
  private fresh?: Map<string, StepStateRecord>;
  private freshStep(stepId: string): StepStateRecord {
    this.fresh ??= new Map();
    let rec = this.fresh.get(stepId);
    if (!rec) {
      rec = {
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
      };
      this.fresh.set(stepId, rec);
    }
    return rec;
  }

  /**
   * Writes a step's new record into `tx`; the move goes through the step state machine
   * (`restore` puts back a snapshot's record as it was).
   */
  setStep(tx: Transaction, record: StepStateRecord, options?: { restore?: boolean }): void {
    if (!options?.restore) checkStepMove(record.stepId, this.step(tx, record.stepId).status, record.status);
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
   * Input ports of a step that will never receive a value: every edge into them comes from
   * a settled step that did not write the edge's port.
   */
  untakenPorts(tx: Transaction, stepId: string, arrived: string[]): string[] {
    const open = new Set<string>(arrived);
    const closed = new Set<string>();
    for (const edge of this.graph.incoming.get(stepId)!) {
      if (!SETTLED.has(this.step(tx, edge.source).status)) open.add(edge.targetPort);
      else closed.add(edge.targetPort);
    }
    return [...closed].filter((port) => !open.has(port));
  }

  /**
   * Starts every step that became ready, skips those that can no longer run, and settles
   * the run when nothing is left. Adds all of it to `tx`.
   */
  advance(tx: Transaction): void {
    const status = tx.run.status;
    if (isTerminalRun(status) || status === 'paused' || status === 'pending') return;
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
        const readyWhen = this.services.catalog.get(def.step_type)?.readyWhen;
        if (readyWhen?.(arrived, def, this.untakenPorts(tx, stepId, arrived)) !== true) continue;
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

  protected markRunning(
    tx: Transaction,
    rec: StepStateRecord,
    resumed: boolean,
    inputs: Record<string, unknown> | undefined,
  ): void {
    const attempt = resumed ? rec.attempt : rec.attempt + 1;
    const execution = this.services.nextExecution();
    const next = copyStep(rec);
    next.status = 'running';
    next.execution = execution;
    next.attempt = attempt;
    if (!resumed) {
      next.iterationAttempts = rec.iterationAttempts + 1;
      next.startedAt = this.services.nowIso();
    }
    next.error = undefined;
    if (rec.suspension?.pending) next.suspension = { ...rec.suspension, pending: false };
    this.setStep(tx, next);
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
    if (isTerminalRun(status) || status === 'paused' || status === 'pending') return;
    // A step this transition starts runs: the run does, whatever the other steps do.
    if (tx.launches.length > 0) {
      moveRun(tx.run, 'running');
      return;
    }
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
      moveRun(tx.run, 'running');
      return;
    }
    // Pending steps behind a waiting one are blocked by it: the run waits.
    if (waiting >= 0) {
      const status = WAITING[waiting];
      if (tx.run.status !== status) {
        moveRun(tx.run, status);
        tx.emit('run.waiting', undefined, { status });
      }
      return;
    }
    if (open) {
      moveRun(tx.run, 'running');
      return;
    }
    const outputs: Record<string, unknown> = {};
    for (const stepId of this.graph.terminals) {
      const rec = this.step(tx, stepId);
      if (rec.status === 'completed' && rec.outputs) {
        outputs[stepId] = Object.hasOwn(rec.outputs, 'output') ? rec.outputs.output : rec.outputs;
      }
    }
    moveRun(tx.run, 'completed');
    if (tx.run.limits?.timerId) tx.timersRemove.push(tx.run.limits.timerId);
    tx.run.outputs = outputs;
    tx.run.completedAt = this.services.nowIso();
    tx.emit('run.completed', undefined, { outputs: Object.keys(outputs) });
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
    if (tx.run.status !== 'paused') moveRun(tx.run, 'running');
  }

  snapshotOf(tx: Transaction, reason: SnapshotReason, label?: string) {
    const steps = new Map(this.steps);
    for (const [id, s] of tx.steps) steps.set(id, s);
    const run = { ...tx.run, version: this.run.version + 1 };
    const snapshot = buildSnapshot(
      { run, steps: [...steps.values()] },
      { snapshotId: this.services.ids('snap'), reason, createdAt: this.services.nowIso(), label },
    );
    tx.emit('snapshot.created', undefined, {
      snapshot_id: snapshot.snapshotId,
      reason,
      ...(label !== undefined ? { label } : {}),
    });
    // The event above moved lastSeq; the snapshot records the state it belongs to.
    return { ...snapshot, seq: tx.run.lastSeq };
  }

  /**
   * Records a step's outputs and what follows from them (revision loops, auto snapshots)
   * in `tx`. Also used to complete a suspended step directly from its resume data.
   */
  completeStep(tx: Transaction, rec: StepStateRecord, outputs: Record<string, unknown>): void {
    const next = copyStep(rec);
    next.status = 'completed';
    next.outputs = outputs;
    next.finishedAt = this.services.nowIso();
    next.suspension = undefined;
    next.checkpoint = undefined;
    this.setStep(tx, next);
    tx.run.stepsCompleted++;
    tx.emit('step.completed', rec.stepId, {
      attempt: rec.attempt,
      ports: Object.keys(outputs),
      duration_ms: rec.startedAt ? this.services.clock.now() - this.services.isoMs(rec.startedAt) : 0,
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
    return checkStepOutputs(this.services.portsOf(def).outputs, this.graph, def, rec, outputs);
  }

  /** A revision loop: sends the revising step (and everything after it) back with the feedback. */
  protected followBackEdges(tx: Transaction, stepId: string, outputs: Record<string, unknown>): void {
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
}
