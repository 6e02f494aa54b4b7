import type { ActionCommitRecords } from '../actions/step-actions.js';
import type { StepTypeDefinition } from '../catalog/types.js';
import { StepError } from '../errors.js';
import type { StepDefinition } from '../segment/types.js';
import type { Clock } from '../util/clock.js';
import { parseDuration } from '../util/duration.js';
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
};

/** A handler in flight in this process. */
export interface InFlight {
  attempt: number;
  abort: (reason: unknown) => void;
  /** Tells the handler a pause of its run was asked for (`true`) or withdrawn (`false`). */
  pause?: (requested: boolean) => void;
}

/** The outcome a handler's throw stands for: a suspension, an interruption or an error. */
function thrown(error: unknown): Outcome {
  if (error instanceof SuspendSignal) return { kind: 'suspend', signal: error };
  if (error instanceof InterruptSignal) return { kind: 'interrupt', signal: error };
  return { kind: 'error', error };
}

/**
 * Runs a handler. The outcome is whichever comes first: the handler's result, an abort
 * (cancel, engine stop) or the step timeout; a handler that ignores its signal is left
 * behind, never waited for.
 */
export function runHandler(
  def: StepDefinition,
  type: StepTypeDefinition,
  ctx: StepContextImpl,
  flight: InFlight,
  clock: Clock,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let timer: unknown;
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      outcome.actions = ctx.takeActionRecords();
      outcome.events = ctx.takeEvents();
      resolve(outcome);
    };
    flight.abort = (reason) => {
      ctx.abort(reason);
      settle({ kind: 'error', error: reason });
    };
    flight.pause = (requested) => {
      ctx.pauseRequested = requested;
    };
    if (def.timeout !== undefined) {
      const timeoutMs = parseDuration(def.timeout, `steps.${def.step_id}.timeout`);
      timer = clock.setTimeout(() => {
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
      settle(thrown(error));
      return;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<Record<string, unknown>>).then(
        (outputs) => settle({ kind: 'ok', outputs: outputs ?? {} }),
        (error) => settle(thrown(error)),
      );
    } else settle({ kind: 'ok', outputs: (result ?? {}) as Record<string, unknown> });
  });
}
