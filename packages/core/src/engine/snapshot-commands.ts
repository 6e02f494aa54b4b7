import { LlmteamError } from '../errors.js';
import { restoreRunStatus } from '../lifecycle/run-state.js';
import { checkSnapshotQuery } from '../store/snapshot-query.js';
import type { Page, RunRecord, SnapshotRecord, StepStateRecord } from '../store/types.js';
import type { TypedAuditDraft } from '../worktrail/audit-actions.js';
import { EngineCommands } from './commands.js';
import { armDeadline } from './run-limits.js';
import { verifySnapshot } from './snapshot.js';
import type { CallScope, CreateSnapshotOptions, SnapshotListQuery } from './types.js';

const MAX_LABEL = 200;

/** A snapshot label as given, checked: 1 to 200 characters, not only spaces. */
function checkLabel(label: unknown): string | undefined {
  if (label === undefined || label === null) return undefined;
  if (typeof label !== 'string' || label.trim() === '' || label.length > MAX_LABEL) {
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `createSnapshot: label ${JSON.stringify(label)} is not a label; give a name of 1 to ${MAX_LABEL} characters (e.g. "before-migration") or leave it out`,
    );
  }
  return label;
}

function notFound(tenantId: string, snapshotId: string): LlmteamError {
  return new LlmteamError(
    'LLMT_E_SNAPSHOT_NOT_FOUND',
    `snapshot "${snapshotId}" does not exist in tenant "${tenantId}"`,
  );
}

/**
 * Snapshot commands: take one by hand (`manual` or a labelled `checkpoint`), list them by
 * run, segment or reason, the latest one, delete one (audited), restore and fork.
 */
export abstract class SnapshotCommands extends EngineCommands {
  // ---- snapshots ----

  async createSnapshot(runId: string, options: CreateSnapshotOptions = {}): Promise<SnapshotRecord> {
    const { tenantId, actor } = this.scope(options);
    const type = options.type ?? 'manual';
    if (type !== 'manual' && type !== 'checkpoint') {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `createSnapshot: type ${JSON.stringify(type)} is not a snapshot type a caller takes; use "manual" or "checkpoint"`,
      );
    }
    const label = checkLabel(options.label);
    return this.withRun(tenantId, runId, (driver, tx) => {
      const snapshot = driver.snapshotOf(tx, type, label);
      tx.snapshots.push(snapshot);
      tx.audit.push({
        tenantId,
        action: 'snapshot.created',
        actor: actor.subject,
        runId,
        target: snapshot.snapshotId,
        timestamp: this.nowIso(),
        data: { reason: type, ...(label !== undefined ? { label } : {}) },
      });
      return snapshot;
    });
  }

  async querySnapshots(query: SnapshotListQuery = {}): Promise<Page<SnapshotRecord>> {
    await this.ready();
    const { tenantId } = this.scope(query);
    const { tenantId: _t, actor: _a, ...filter } = query;
    checkSnapshotQuery(filter);
    return this.store.querySnapshots(tenantId, filter);
  }

  async latestSnapshot(
    query: Omit<SnapshotListQuery, 'limit' | 'after'> = {},
  ): Promise<SnapshotRecord | undefined> {
    return (await this.querySnapshots({ ...query, limit: 1 })).items[0];
  }

  async deleteSnapshot(snapshotId: string, scope?: CallScope): Promise<SnapshotRecord> {
    await this.ready();
    const { tenantId, actor } = this.scope(scope);
    const snapshot = await this.store.getSnapshot(tenantId, snapshotId);
    const audit: TypedAuditDraft<'snapshot.deleted'> | undefined = snapshot && {
      tenantId,
      action: 'snapshot.deleted',
      actor: actor.subject,
      runId: snapshot.runId,
      target: snapshotId,
      timestamp: this.nowIso(),
      data: { reason: snapshot.reason, ...(snapshot.label !== undefined ? { label: snapshot.label } : {}) },
    };
    if (!snapshot || !audit || !(await this.store.deleteSnapshot(tenantId, snapshotId, audit)))
      throw notFound(tenantId, snapshotId);
    return snapshot;
  }

  protected async loadSnapshot(tenantId: string, snapshotId: string): Promise<SnapshotRecord> {
    const snapshot = await this.store.getSnapshot(tenantId, snapshotId);
    if (!snapshot) throw notFound(tenantId, snapshotId);
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
      // The restored run has its whole timeout again, from now (closeOpenWork removed the old timer).
      const deadline = armDeadline(tx.run.limits, tx.run, this.clock.now(), this.ids('tmr'));
      tx.run.limits = deadline.limits;
      if (deadline.timer) tx.timersAdd.push(deadline.timer);
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
    // A fork has the whole timeout of its source again, from the fork.
    const deadline = armDeadline(source.limits, { tenantId, runId }, this.clock.now(), this.ids('tmr'));
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
      ...(deadline.limits ? { limits: deadline.limits } : {}),
      trace: this.telemetry.traceForNewRun({}),
      createdAt: now,
      updatedAt: now,
    };
    const steps = this.restartable(snapshot.state.steps, runId);
    const { run: started } = await this.createAndBegin(
      run,
      steps,
      graph,
      { forked_from: snapshotId, source_run: source.runId, actor: actor.subject },
      { action: 'run.forked', actor: actor.subject, target: snapshotId, data: { sourceRun: source.runId } },
      deadline.timer,
    );
    return started;
  }
}
