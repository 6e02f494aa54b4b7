import { LlmteamError } from '../errors.js';
import { isTerminalRun, moveRun } from '../lifecycle/run-state.js';
import type { SegmentGraph } from '../segment/graph.js';
import type {
  CommitAdmission,
  RunRecord,
  StepStateRecord,
  TenantRecord,
  TimerRecord,
} from '../store/types.js';
import { checkAdmissions, runAdmissions } from '../tenancy/admission.js';
import type { TypedAuditDraft } from '../worktrail/audit-actions.js';
import type { TypedWorktrailEvent, WorktrailEventData } from '../worktrail/event-types.js';
import { RunDriver } from './run-driver.js';
import type { Transaction } from './transaction.js';
import { type CallScope } from './types.js';

import { EngineWorker } from './worker.js';

/** Commands on a run: create, cancel, pause, resume, resume or signal a step. */
export abstract class EngineCommands extends EngineWorker {
  /** The commit that creates a run: its header, any steps, `run.created` and an audit entry. */
  protected async createRun(
    run: RunRecord,
    steps: StepStateRecord[],
    data: Omit<WorktrailEventData<'run.created'>, 'segment_id' | 'version'>,
    audit: Omit<TypedAuditDraft<'run.created' | 'run.forked'>, 'tenantId' | 'runId' | 'timestamp'>,
    timer?: TimerRecord,
    tenant?: TenantRecord,
  ): Promise<unknown> {
    const { tenantId, runId, createdAt } = run;
    const admit = await this.admissions(run, tenant);
    return this.store.commit({
      ...(admit?.length ? { admit } : {}),
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
      timers: timer ? { add: [timer] } : undefined,
    });
  }

  /**
   * The limits a new run is admitted under, for its creating commit; on a store that cannot
   * count in its commit they are checked here. A child run is part of its parent's run: it
   * takes no slot of the tenant's limits.
   */
  private async admissions(run: RunRecord, tenant?: TenantRecord): Promise<CommitAdmission[] | undefined> {
    if (run.parent) return undefined;
    const record = tenant ?? (await this.tenants.require(run.tenantId));
    const admit = runAdmissions(this.tenants.effective(record), this.clock.now());
    if (!admit.length) return undefined;
    if (!this.store.capabilities.commitAdmission) await checkAdmissions(this.store, run.tenantId, admit);
    return admit;
  }

  /**
   * Creates a run and starts its entry steps. With a store that takes leases in commits
   * (`commitLease`) that is one commit: the run's header, `run.created`, `run.started`, the
   * steps it starts, its audit entry and its lease. Otherwise the creating commit, the
   * lease, then the starting commit.
   * @throws ConcurrencyError when the run's idempotency key is taken (nothing was written).
   */
  protected async createAndBegin(
    run: RunRecord,
    steps: StepStateRecord[],
    graph: SegmentGraph,
    data: Omit<WorktrailEventData<'run.created'>, 'segment_id' | 'version'>,
    audit: Omit<TypedAuditDraft<'run.created' | 'run.forked'>, 'tenantId' | 'runId' | 'timestamp'>,
    timer?: TimerRecord,
    tenant?: TenantRecord,
  ): Promise<{ run: RunRecord; driver?: RunDriver }> {
    const { tenantId, runId, createdAt } = run;
    if (!this.store.capabilities.commitLease) {
      await this.createRun(run, steps, data, audit, timer, tenant);
      return this.begin(tenantId, run, graph, steps);
    }
    const admit = await this.admissions(run, tenant);
    const driver = new RunDriver(this, tenantId, runId);
    // The state before the first commit: no header stored yet (version 0), no event.
    driver.adopt({ ...run, version: 0, lastSeq: 0 }, [], graph);
    this.drivers.set(driver.key, driver);
    try {
      await driver.mutate(
        (tx) => {
          for (const s of steps) tx.steps.set(s.stepId, s);
          tx.emit('run.created', undefined, {
            segment_id: run.segmentId,
            version: run.segmentVersion,
            ...data,
          });
          tx.audit.push({ tenantId, runId, timestamp: createdAt, ...audit } as TypedAuditDraft);
          if (timer) tx.timersAdd.push(timer);
          if (admit) tx._admit = admit;
          moveRun(tx.run, 'running');
          tx.emit('run.started', undefined, {
            input: run.forkedFrom ? undefined : true,
            forked_from: run.forkedFrom,
          });
        },
        { retry: false },
      );
    } finally {
      if (this.drivers.get(driver.key) === driver && driver.run.version === 0)
        this.drivers.delete(driver.key);
    }
    return { run: driver.run, driver };
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
      if (!tx.detached) tx.after.push(() => driver.notifyPause(true));
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
      if (!tx.detached) {
        for (const rec of driver.steps.values()) {
          // Running when its engine died while the run was paused: no handler runs it any
          // more, so it starts again (same attempt, from its checkpoint).
          if (rec.status === 'running' && !driver.runsHere(rec.stepId))
            driver.setStep(tx, {
              ...rec,
              status: 'pending',
              attempt: rec.attempt - 1,
              iterationAttempts: Math.max(0, rec.iterationAttempts - 1),
            });
        }
        tx.after.push(() => driver.notifyPause(false));
      }
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
}
