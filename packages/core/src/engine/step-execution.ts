import type { ActionCommitRecords } from '../actions/step-actions.js';
import type { StepTypeDefinition } from '../catalog/types.js';
import { StepError } from '../errors.js';
import type { StepDefinition } from '../segment/types.js';
import type { Clock } from '../util/clock.js';
import { parseDuration } from '../util/duration.js';
import type { StepAuditEntry } from '../worktrail/audit-actions.js';
import type { WorktrailEventDraft } from '../worktrail/event-types.js';
import type { StepContextImpl } from './step-context.js';
import { InterruptSignal, SuspendSignal } from './suspend-signal.js';

/** How one handler invocation ended. */
export type Outcome = (
  | { kind: 'ok'; outputs: Record<string, unknown> }
  | { kind: 'error'; error: unknown; timedOut?: boolean }
  | { kind: 'suspend'; signal: SuspendSignal }
  | { kind: 'interrupt'; signal: InterruptSignal }
) & {
  actions?: ActionCommitRecords;
  /** Events the handler emitted with `ctx.emit`, appended in the outcome's commit. */
  events?: WorktrailEventDraft[];
  /** Audit entries the handler appended with `ctx.audit`, in the outcome's commit. */
  audit?: StepAuditEntry[];
};

/** A handler in flight in this process. */
export interface InFlight {
  attempt: number;
  abort: (reason: unknown) => void;
  /** Tells the handler a pause of its run was asked for (`true`) or withdrawn (`false`). */
  pause(requested: boolean): void;
}

/**
 * One handler invocation: it starts the handler and reports the outcome once, whichever
 * comes first: the handler's result, an abort (cancel, engine stop) or the step timeout. A
 * handler that ignores its signal is left behind, never waited for. One object per step:
 * a synchronous handler's outcome costs no promise.
 */
export class Invocation implements InFlight {
  private timer: unknown;
  private settled = false;

  constructor(
    readonly attempt: number,
    private readonly ctx: StepContextImpl,
    private readonly clock: Clock,
    private readonly done: (outcome: Outcome) => void,
  ) {}

  abort(reason: unknown): void {
    this.ctx.abort(reason);
    this.settle({ kind: 'error', error: reason });
  }

  pause(requested: boolean): void {
    this.ctx.pauseRequested = requested;
  }

  /** Calls the handler (once). */
  start(def: StepDefinition, type: StepTypeDefinition): void {
    if (def.timeout !== undefined) {
      const timeoutMs = parseDuration(def.timeout, `steps.${def.step_id}.timeout`);
      this.timer = this.clock.setTimeout(() => {
        const error = new StepError(
          `step "${def.step_id}" did not finish within ${timeoutMs} ms; raise its timeout or make the handler faster`,
          { code: 'LLMT_E_STEP_TIMEOUT' },
        );
        this.ctx.abort(error);
        this.settle({ kind: 'error', error, timedOut: true });
      }, timeoutMs);
    }
    let result: ReturnType<NonNullable<StepTypeDefinition['handler']>>;
    try {
      result = type.handler(this.ctx);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<Record<string, unknown>>).then(
        (outputs) => this.settle({ kind: 'ok', outputs: outputs ?? {} }),
        (error) => this.fail(error),
      );
    } else this.settle({ kind: 'ok', outputs: (result ?? {}) as Record<string, unknown> });
  }

  private fail(error: unknown): void {
    if (error instanceof SuspendSignal) this.settle({ kind: 'suspend', signal: error });
    else if (error instanceof InterruptSignal) this.settle({ kind: 'interrupt', signal: error });
    else this.settle({ kind: 'error', error });
  }

  private settle(outcome: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    const actions = this.ctx.takeActionRecords();
    if (actions) outcome.actions = actions;
    const events = this.ctx.takeEvents();
    if (events) outcome.events = events;
    const audit = this.ctx.takeAudit();
    if (audit) outcome.audit = audit;
    this.done(outcome);
  }
}
