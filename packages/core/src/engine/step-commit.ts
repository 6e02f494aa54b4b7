import type { StepCommit, StepTimerSpec } from '../catalog/step-hooks.js';
import { LlmteamError } from '../errors.js';
import { moveRun } from '../lifecycle/run-state.js';
import { declaredInputs, handlerInput } from '../segment/step-ports.js';
import type { StepDefinition } from '../segment/types.js';
import type { InteractionRecord, RunStatus, StepStateRecord, TimerRecord } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { AuditAction, StepAuditEntry, TypedAuditDraft } from '../worktrail/audit-actions.js';
import type { WorktrailEventMap, WorktrailEventType } from '../worktrail/event-types.js';
import type { RunDriver } from './run-driver.js';
import type { Transaction } from './transaction.js';

/** The view of one transaction that step-type hooks get, bound to one step. */
export class StepCommitImpl implements StepCommit {
  readonly step: StepDefinition;

  constructor(
    private readonly driver: RunDriver,
    private readonly tx: Transaction,
    readonly stepId: string,
  ) {
    const step = driver.graph.steps.get(stepId);
    if (!step) {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `run "${driver.runId}" has no step "${stepId}"; name a step of its segment`,
      );
    }
    this.step = step;
  }

  get tenantId(): string {
    return this.driver.tenantId;
  }
  get runId(): string {
    return this.driver.runId;
  }
  get config(): Record<string, unknown> {
    return (this.step.config ?? {}) as Record<string, unknown>;
  }
  get state(): StepStateRecord {
    return this.driver.step(this.tx, this.stepId);
  }
  get runStatus(): RunStatus {
    return this.tx.run.status;
  }
  get inputs(): Record<string, unknown> {
    return this.driver.inputsOf(this.tx, this.stepId).inputs;
  }
  get input(): unknown {
    return handlerInput(
      declaredInputs(this.step, this.driver.services.catalog.get(this.step.step_type)),
      this.inputs,
    );
  }
  get clock(): Clock {
    return this.driver.services.clock;
  }
  now(): string {
    return this.driver.services.nowIso();
  }
  newId(prefix?: string): string {
    return this.driver.services.ids(prefix);
  }

  emit<K extends WorktrailEventType>(type: K, data: WorktrailEventMap[K]): void {
    this.tx.emit(type, this.stepId, data);
  }

  audit<K extends AuditAction>(entry: StepAuditEntry<K>): void {
    this.tx.audit.push({
      tenantId: this.tenantId,
      runId: this.runId,
      timestamp: this.now(),
      ...entry,
    } as unknown as TypedAuditDraft);
  }

  async interaction(interactionId: string): Promise<InteractionRecord | undefined> {
    return (
      this.tx._interactions?.get(interactionId) ??
      this.driver.interactions.get(interactionId) ??
      (await this.driver.services.store.getInteraction(this.tenantId, interactionId))
    );
  }

  putInteraction(record: InteractionRecord): void {
    this.tx.interactions.set(record.interactionId, record);
  }

  addTimer(timer: StepTimerSpec): TimerRecord {
    const record: TimerRecord = {
      timerId: timer.timerId ?? this.newId('tmr'),
      tenantId: this.tenantId,
      runId: this.runId,
      stepId: this.stepId,
      kind: timer.kind,
      dueAt: timer.dueAt,
      payload: timer.payload,
    };
    this.tx.timersAdd.push(record);
    return record;
  }

  removeTimer(timerId: string): void {
    if (!this.tx._timersConsume?.includes(timerId)) this.tx.timersRemove.push(timerId);
  }

  afterCommit(fn: () => void): void {
    this.tx.after.push(fn);
  }

  complete(outputs: Record<string, unknown>): void {
    const bad = this.driver.checkOutputs(this.step, this.state, outputs);
    if (bad) throw bad;
    if (this.tx.run.status !== 'paused') moveRun(this.tx.run, 'running');
    this.driver.completeStep(this.tx, this.state, outputs);
  }

  rerun(data: unknown): void {
    this.driver.rerun(this.tx, this.stepId, data);
  }

  fail(error: unknown): Promise<void> {
    this.tx.candidates = this.driver.graph.successors.get(this.stepId)!.slice();
    return this.driver.onError(this.tx, this.step, this.state, error);
  }

  async signal(data: unknown): Promise<boolean> {
    const rec = this.state;
    if (rec.status !== 'waiting' || !rec.suspension) return false;
    const onSignal = this.driver.services.catalog.get(this.step.step_type)?.onSignal;
    if (onSignal && this.tx.run.status !== 'paused') await onSignal(this, data);
    else this.rerun(data);
    return true;
  }
}
