import { LlmteamError } from '../errors.js';
import { isTerminalRun, moveRun, restoreRunStatus } from '../lifecycle/run-state.js';
import type { RunRecord, SnapshotRecord, StepStateRecord } from '../store/types.js';
import type { TypedAuditDraft } from '../worktrail/audit-actions.js';
import type { TypedWorktrailEvent, WorktrailEventData } from '../worktrail/event-types.js';
import type { RunDriver } from './run-driver.js';
import { verifySnapshot } from './snapshot.js';
import type { Transaction } from './transaction.js';
import { type CallScope } from './types.js';

import { EngineWorker } from './worker.js';

/** Commands on a run: cancel, pause, resume, resume or signal a step, snapshots, restore, fork. */
export abstract class EngineCommands extends EngineWorker {
  /** The commit that creates a run: its header, any steps, `run.created` and an audit entry. */
  protected createRun(
    run: RunRecord,
    steps: StepStateRecord[],
    data: Omit<WorktrailEventData<'run.created'>, 'segment_id' | 'version'>,
    audit: Omit<TypedAuditDraft<'run.created' | 'run.forked'>, 'tenantId' | 'runId' | 'timestamp'>,
  ): Promise<unknown> {
    const { tenantId, runId, createdAt } = run;
    return this.store.commit({
      tenantId,
      runId,
      expectedVersion: 0,
      run,
      steps: steps.length ? steps : undefined,
      events: [
        {
          event_id: `${runId}.1`,
          tenant_id: tenantId,
          run_id: runId,
          seq: 1,
          type: 'run.created',
          timestamp: createdAt,
          data: { segment_id: run.segmentId, version: run.segmentVersion, ...data },
        } satisfies TypedWorktrailEvent<'run.created'>,
      ],
      audit: [{ tenantId, runId, timestamp: createdAt, ...audit }],
    });
  }

  async cancelRun(runId: string, scope?: CallScope & { reason?: string }): Promise<RunRecord> {
    const { tenantId, actor } = this.scope(scope);
    return this.withRun(tenantId, runId, async (driver, tx) => {
      if (isTerminalRun(tx.run.status)) {
        throw new LlmteamError(
          'LLMT_E_RUN_STATE',
          `run "${runId}" is already ${tx.run.status}; only an unfinished run can be cancelled`,
        );
      }
      moveRun(tx.run, 'cancelled');
      tx.run.completedAt = this.nowIso();
      await driver.closeOpenWork(tx, {
        cause: 'cancelled',
        code: 'LLMT_E_STEP_CANCELLED',
        message: `run cancelled by ${actor.subject}`,
      });
      tx.emit('run.cancelled', undefined, { actor: actor.subject, reason: scope?.reason });
      tx.audit.push({
        tenantId,
        action: 'run.cancelled',
        actor: actor.subject,
        runId,
        timestamp: this.nowIso(),
        data: { reason: scope?.reason },
      });
      return undefined;
    }).then(() => this.mustGetRun(tenantId, runId));
  }

  async pauseRun(runId: string, scope?: CallScope): Promise<RunRecord> {
    const { tenantId, actor } = this.scope(scope);
    await this.withRun(tenantId, runId, (driver, tx) => {
      if (isTerminalRun(tx.run.status) || tx.run.status === 'paused') {
        throw new LlmteamError(
          'LLMT_E_RUN_STATE',
          `run "${runId}" is ${tx.run.status}; only an active or waiting run can be paused`,
        );
      }
      tx.run.pausedFrom = tx.run.status;
      moveRun(tx.run, 'paused');
      this.controlChildren(driver, tx, 'pause');
      tx.emit('run.paused', undefined, { actor: actor.subject });
      tx.audit.push({
        tenantId,
        action: 'run.paused',
        actor: actor.subject,
        runId,
        timestamp: this.nowIso(),
      });
      tx.snapshots.push(driver.snapshotOf(tx, 'pause'));
    });
    return this.mustGetRun(tenantId, runId);
  }

  async resumeRun(runId: string, scope?: CallScope): Promise<RunRecord> {
    const { tenantId, actor } = this.scope(scope);
    await this.withRun(tenantId, runId, (driver, tx) => {
      if (tx.run.status !== 'paused') {
        throw new LlmteamError(
          'LLMT_E_RUN_STATE',
          `run "${runId}" is ${tx.run.status}, not paused; nothing to resume`,
        );
      }
      moveRun(tx.run, 'running');
      tx.run.pausedFrom = undefined;
      this.controlChildren(driver, tx, 'resume');
      tx.emit('run.resumed', undefined, { actor: actor.subject });
      tx.audit.push({
        tenantId,
        action: 'run.resumed',
        actor: actor.subject,
        runId,
        timestamp: this.nowIso(),
      });
    });
    return this.mustGetRun(tenantId, runId);
  }

  /** Passes a pause or resume on to the child runs the run's waiting steps wait on. */
  private controlChildren(driver: RunDriver, tx: Transaction, command: 'pause' | 'resume'): void {
    for (const stepId of driver.graph.steps.keys()) {
      const rec = driver.step(tx, stepId);
      if (rec.status === 'waiting' && rec.suspension?.children?.length)
        this.childRuns.control(tx, stepId, rec.suspension.children, command);
    }
  }

  async resumeStep(runId: string, stepId: string, data: unknown, scope?: CallScope): Promise<RunRecord> {
    const { tenantId, actor } = this.scope(scope);
    await this.withRun(tenantId, runId, (driver, tx) => {
      const rec = driver.step(tx, stepId);
      if (rec.status !== 'waiting' || !rec.suspension) {
        throw new LlmteamError(
          'LLMT_E_RUN_STATE',
          `step "${stepId}" of run "${runId}" is ${rec.status}, not suspended; only a suspended step can be resumed`,
        );
      }
      driver.rerun(tx, stepId, data);
      tx.audit.push({
        tenantId,
        action: 'step.resumed',
        actor: actor.subject,
        runId,
        target: stepId,
        timestamp: this.nowIso(),
      });
    });
    return this.mustGetRun(tenantId, runId);
  }

  async signal(runId: string, stepId: string, data: unknown, scope?: CallScope): Promise<RunRecord> {
    const { tenantId, actor } = this.scope(scope);
    await this.withRun(tenantId, runId, async (driver, tx) => {
      if (!driver.graph.steps.has(stepId)) {
        throw new LlmteamError(
          'LLMT_E_INVALID_ARGUMENT',
          `run "${runId}" has no step "${stepId}"; signal a step of its segment`,
        );
      }
      const commit = driver.commitFor(tx, stepId);
      if (!(await commit.signal(data))) {
        throw new LlmteamError(
          'LLMT_E_RUN_STATE',
          `step "${stepId}" of run "${runId}" is ${commit.state.status}, not waiting; only a waiting step takes a signal`,
        );
      }
      commit.audit({ action: 'step.signalled', actor: actor.subject, target: stepId });
    });
    return this.mustGetRun(tenantId, runId);
  }

  // ---- snapshots ----

  async createSnapshot(runId: string, scope?: CallScope): Promise<SnapshotRecord> {
    const { tenantId, actor } = this.scope(scope);
    return this.withRun(tenantId, runId, (driver, tx) => {
      const snapshot = driver.snapshotOf(tx, 'manual');
      tx.snapshots.push(snapshot);
      tx.audit.push({
        tenantId,
        action: 'snapshot.created',
        actor: actor.subject,
        runId,
        target: snapshot.snapshotId,
        timestamp: this.nowIso(),
      });
      return snapshot;
    });
  }

  protected async loadSnapshot(tenantId: string, snapshotId: string): Promise<SnapshotRecord> {
    const snapshot = await this.store.getSnapshot(tenantId, snapshotId);
    if (!snapshot)
      throw new LlmteamError(
        'LLMT_E_SNAPSHOT_NOT_FOUND',
        `snapshot "${snapshotId}" does not exist in tenant "${tenantId}"`,
      );
    verifySnapshot(snapshot);
    return snapshot;
  }

  /** Steps as they restart from a snapshot: what was in flight or waiting runs again. */
  protected restartable(steps: StepStateRecord[], runId: string): StepStateRecord[] {
    return steps.map((s) =>
      s.status === 'running' ||
      s.status === 'waiting' ||
      s.status === 'retry_wait' ||
      s.status === 'cancelled'
        ? {
            ...s,
            runId,
            status: 'pending' as const,
            suspension: undefined,
            error: undefined,
            finishedAt: undefined,
          }
        : { ...s, runId },
    );
  }

  async restoreSnapshot(snapshotId: string, scope?: CallScope): Promise<RunRecord> {
    const { tenantId, actor } = this.scope(scope);
    const snapshot = await this.loadSnapshot(tenantId, snapshotId);
    await this.withRun(tenantId, snapshot.runId, async (driver, tx) => {
      await driver.closeOpenWork(tx, {
        cause: 'restored',
        code: 'LLMT_E_STEP_CANCELLED',
        message: 'restored from a snapshot',
      });
      const restored = new Map(
        this.restartable(snapshot.state.steps, snapshot.runId).map((s) => [s.stepId, s]),
      );
      for (const stepId of driver.graph.steps.keys()) {
        const rec = restored.get(stepId) ?? {
          tenantId,
          runId: snapshot.runId,
          stepId,
          status: 'pending' as const,
          attempt: driver.step(tx, stepId).attempt,
          iterationAttempts: 0,
          iteration: 0,
        };
        // Attempts keep counting so idempotency keys of re-run steps stay unique.
        driver.setStep(
          tx,
          { ...rec, attempt: Math.max(rec.attempt, driver.step(tx, stepId).attempt) },
          { restore: true },
        );
      }
      const s = snapshot.state.run;
      restoreRunStatus(tx.run);
      tx.run.outputs = undefined;
      tx.run.error = undefined;
      tx.run.completedAt = undefined;
      tx.run.pausedFrom = undefined;
      tx.run.stepsCompleted = s.stepsCompleted;
      tx.emit('snapshot.restored', undefined, { snapshot_id: snapshotId, actor: actor.subject });
      tx.audit.push({
        tenantId,
        action: 'snapshot.restored',
        actor: actor.subject,
        runId: snapshot.runId,
        target: snapshotId,
        timestamp: this.nowIso(),
      });
    });
    return this.mustGetRun(tenantId, snapshot.runId);
  }

  async forkRun(snapshotId: string, scope?: CallScope): Promise<RunRecord> {
    await this.ready();
    const { tenantId, actor } = this.scope(scope);
    const snapshot = await this.loadSnapshot(tenantId, snapshotId);
    const source = snapshot.state.run;
    const graph = await this.graphFor(tenantId, source.segmentId, source.segmentVersion);
    const runId = this.ids('run');
    const now = this.nowIso();
    const run: RunRecord = {
      runId,
      tenantId,
      segmentId: source.segmentId,
      segmentVersion: source.segmentVersion,
      status: 'pending',
      input: source.input,
      version: 1,
      lastSeq: 1,
      forkedFrom: snapshotId,
      stepsCompleted: source.stepsCompleted,
      trace: this.telemetry.traceForNewRun({}),
      createdAt: now,
      updatedAt: now,
    };
    const steps = this.restartable(snapshot.state.steps, runId);
    await this.createRun(
      run,
      steps,
      { forked_from: snapshotId, source_run: source.runId, actor: actor.subject },
      { action: 'run.forked', actor: actor.subject, target: snapshotId, data: { sourceRun: source.runId } },
    );
    return this.begin(tenantId, run, graph, steps);
  }
}
