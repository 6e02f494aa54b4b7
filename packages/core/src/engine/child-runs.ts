import type { ChildRunOptions, ChildRunOutcome, ChildRuns, Logger } from '../catalog/types.js';
import { isLlmteamError, LlmteamError } from '../errors.js';
import type { ParentLink, RunRecord, Store, TimerRecord } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { IdGenerator } from '../util/ids.js';
import type { RunDriver } from './run-driver.js';
import type { Transaction } from './transaction.js';
import type { CallScope, StartRunOptions } from './types.js';

/** Timer kind of a child run that ended and has yet to tell its parent step. */
export const NOTIFY_PARENT_TIMER = 'run.notify_parent';
/** Timer kind of a command (cancel, pause, resume) a run has yet to pass to a child run. */
export const CHILD_CONTROL_TIMER = 'run.child_control';

/**
 * How deep child runs may nest. A cycle of segments is refused at upsert; this bounds
 * what validation cannot see (a segment replaced after its parent was stored).
 */
export const MAX_CHILD_DEPTH = 16;

/** What the child-run links need from the engine. */
export interface ChildRunHost {
  readonly store: Store;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  nowIso(): string;
  /** How long a notification whose parent step is still busy waits before it is tried again. */
  readonly retryMs: number;
  startRun(options: StartRunOptions, parent?: ParentLink): Promise<RunRecord>;
  cancelRun(runId: string, scope?: CallScope & { reason?: string }): Promise<RunRecord>;
  pauseRun(runId: string, scope?: CallScope): Promise<RunRecord>;
  resumeRun(runId: string, scope?: CallScope): Promise<RunRecord>;
  withRun<T>(
    tenantId: string,
    runId: string,
    fn: (driver: RunDriver, tx: Transaction) => T | Promise<T>,
  ): Promise<T>;
}

type Command = 'cancel' | 'pause' | 'resume';

/**
 * The links between runs and the child runs their steps start. Every message between them
 * is a durable timer first (an outbox): a child that ends adds a `run.notify_parent` timer
 * in its final commit, a parent that is cancelled, paused or resumed adds a
 * `run.child_control` timer per child in that commit. Each is delivered right after its
 * commit and, should the process die first, by whichever engine polls it: at least once,
 * and harmless twice (a step that no longer waits on the child ignores the news; a
 * command a child already obeyed is a no-op).
 */
export class ChildRunLinks {
  constructor(private readonly host: ChildRunHost) {}

  /** The `ctx.children` of one handler invocation. */
  forStep(step: {
    tenantId: string;
    runId: string;
    stepId: string;
    idempotencyKey: string;
    /** The step's run as its driver holds it: its parent link never changes, so no read. */
    readonly run: Pick<RunRecord, 'parent'>;
  }): ChildRuns {
    return {
      start: async (options: ChildRunOptions) => {
        const depth = (step.run.parent?.depth ?? 0) + 1;
        if (depth > MAX_CHILD_DEPTH) {
          throw new LlmteamError(
            'LLMT_E_CHILD_DEPTH',
            `step "${step.stepId}" of run "${step.runId}" would start a child run ${depth} levels deep (at most ${MAX_CHILD_DEPTH}); segments that start each other form a cycle`,
            { retryable: false },
          );
        }
        return this.host.startRun(
          {
            tenantId: step.tenantId,
            segmentId: options.segmentId,
            version: options.version,
            input: options.input,
            idempotencyKey: `child:${step.idempotencyKey}${options.key ? `:${options.key}` : ''}`,
          },
          { runId: step.runId, stepId: step.stepId, depth },
        );
      },
      get: (runId: string) => this.host.store.getRun(step.tenantId, runId),
    };
  }

  /**
   * Called with the commit that ends a run: a child run adds the notification of its
   * parent, delivered right after the commit (and, failing that, from the store).
   */
  onRunEnd(tx: Transaction): void {
    const run = tx.run;
    if (!run.parent) return;
    const timer: TimerRecord = {
      timerId: this.host.ids('tmr'),
      tenantId: run.tenantId,
      runId: run.runId,
      kind: NOTIFY_PARENT_TIMER,
      dueAt: this.host.nowIso(),
      payload: { ...run.parent },
    };
    tx.timersAdd.push(timer);
    tx.after.push(() => void this.fire(timer));
  }

  /** Passes `command` to the children a step waits on, in the commit `tx` of its run. */
  control(tx: Transaction, stepId: string, children: string[], command: Command): void {
    for (const child of children) {
      const timer: TimerRecord = {
        timerId: this.host.ids('tmr'),
        tenantId: tx.run.tenantId,
        runId: tx.run.runId,
        stepId,
        kind: CHILD_CONTROL_TIMER,
        dueAt: this.host.nowIso(),
        payload: { child_run_id: child, command },
      };
      tx.timersAdd.push(timer);
      tx.after.push(() => void this.fire(timer));
    }
  }

  /**
   * Delivers what ended children have not told their parent yet: called after a step
   * suspended on `children`, so a child that ended while the step was still running is
   * heard without waiting for the next poll.
   */
  async recheck(tenantId: string, children: string[]): Promise<void> {
    for (const child of children) {
      const timers = await this.host.store.listTimers(tenantId, child).catch(() => []);
      for (const t of timers) if (t.kind === NOTIFY_PARENT_TIMER) await this.fire(t);
    }
  }

  /** Handles a timer of one of the two kinds; false for any other kind. */
  async fire(timer: TimerRecord): Promise<boolean> {
    if (timer.kind !== NOTIFY_PARENT_TIMER && timer.kind !== CHILD_CONTROL_TIMER) return false;
    try {
      if (timer.kind === NOTIFY_PARENT_TIMER) await this.notifyParent(timer);
      else await this.passCommand(timer);
    } catch (error) {
      // The timer stays: the next poll delivers it.
      this.host.logger.warn(
        { err: error, timerId: timer.timerId, kind: timer.kind },
        'child-run message not delivered yet',
      );
    }
    return true;
  }

  private async notifyParent(timer: TimerRecord): Promise<void> {
    const child = await this.host.store.getRun(timer.tenantId, timer.runId);
    const link = child?.parent;
    let later = false;
    if (child && link) {
      const outcome: ChildRunOutcome = {
        type: 'child_run',
        run_id: child.runId,
        segment_id: child.segmentId,
        version: child.segmentVersion,
        status: child.status as ChildRunOutcome['status'],
        ...(child.outputs ? { outputs: child.outputs } : {}),
        ...(child.error ? { error: { code: child.error.code, message: child.error.message } } : {}),
      };
      try {
        later = await this.host.withRun(child.tenantId, link.runId, async (driver, tx) => {
          if (!driver.graph.steps.has(link.stepId)) return false;
          const commit = driver.commitFor(tx, link.stepId);
          const rec = commit.state;
          // Still in its handler: it may yet suspend on this child, so try again soon.
          if (rec.status === 'running') return true;
          const waitsOn = rec.suspension?.children;
          if (rec.status === 'waiting' && (!waitsOn || waitsOn.includes(child.runId))) {
            commit.emit('child_run.finished', {
              child_run_id: child.runId,
              segment_id: child.segmentId,
              version: child.segmentVersion,
              status: child.status,
            });
            await commit.signal(outcome);
          }
          return false;
        });
      } catch (error) {
        if (!(isLlmteamError(error) && error.code === 'LLMT_E_RUN_NOT_FOUND')) throw error;
      }
    }
    await this.consume(timer, later);
  }

  private async passCommand(timer: TimerRecord): Promise<void> {
    const childId = String(timer.payload?.child_run_id);
    const command = timer.payload?.command as Command;
    const scope = {
      tenantId: timer.tenantId,
      actor: { subject: 'system' },
      reason: `parent run ${timer.runId} ${command === 'cancel' ? 'closed its step' : `${command}d`}`,
    };
    try {
      if (command === 'cancel') await this.host.cancelRun(childId, scope);
      else if (command === 'pause') await this.host.pauseRun(childId, scope);
      else await this.host.resumeRun(childId, scope);
    } catch (error) {
      // Already ended, already paused, not paused, or gone: nothing left to pass on.
      const code = isLlmteamError(error) ? error.code : undefined;
      if (code !== 'LLMT_E_RUN_STATE' && code !== 'LLMT_E_RUN_NOT_FOUND') throw error;
    }
    await this.consume(timer, false);
  }

  /** Removes a delivered timer in its run's commit; `again` adds a fresh one a little later. */
  private async consume(timer: TimerRecord, again: boolean): Promise<void> {
    await this.host.withRun(timer.tenantId, timer.runId, async (_driver, tx) => {
      const stored = await this.host.store.listTimers(timer.tenantId, timer.runId);
      if (!stored.some((t) => t.timerId === timer.timerId)) return;
      tx.timersConsume.push(timer.timerId);
      if (again)
        tx.timersAdd.push({
          ...timer,
          timerId: this.host.ids('tmr'),
          dueAt: new Date(this.host.clock.now() + this.host.retryMs).toISOString(),
        });
    });
  }
}
