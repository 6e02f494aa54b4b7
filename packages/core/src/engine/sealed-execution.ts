import type { StepTypeDefinition } from '../catalog/types.js';
import type { SealingPlan } from '../sealing/sealing-plan.js';
import type { StepDefinition } from '../segment/types.js';
import type { StepStateRecord } from '../store/types.js';
import type { RunDriver } from './run-driver.js';
import type { StepContextImpl } from './step-context.js';
import { type InFlight, Invocation, type Outcome } from './step-execution.js';
import { StepSealing } from './step-sealing.js';

/**
 * Starts a handler of a segment that seals fields: the sealed values the step may open are
 * decrypted for its context only, and its outcome is sealed and scrubbed before `done`
 * records it (see {@link StepSealing}). The returned handle aborts or pauses the
 * invocation, also while its values are still being opened.
 */
export function startSealed(
  driver: RunDriver,
  plan: SealingPlan,
  def: StepDefinition,
  type: StepTypeDefinition,
  attempt: number,
  rec: StepStateRecord,
  inputs: Record<string, unknown>,
  done: (outcome: Outcome) => void,
): InFlight {
  let invocation: Invocation | undefined;
  let settled = false;
  let pauseRequested = false;
  let sealing: StepSealing | undefined;
  const finish = (outcome: Outcome) => {
    if (settled) return;
    settled = true;
    done(outcome);
  };
  const sealed = (outcome: Outcome) => {
    if (!sealing) return finish(outcome);
    const s = sealing;
    s.sealOutcome(outcome).then(finish, async (error) =>
      // Nothing of an outcome that could not be sealed is committed.
      finish({ kind: 'error', error: await s.sealError(error).catch(() => error) }),
    );
  };
  const flight: InFlight = {
    attempt,
    abort(reason) {
      if (invocation) invocation.abort(reason);
      else finish({ kind: 'error', error: reason });
    },
    pause(requested) {
      pauseRequested = requested;
      invocation?.pause(requested);
    },
  };
  void (async () => {
    // The handle is registered before anything can settle.
    await Promise.resolve();
    let ctx: StepContextImpl;
    try {
      const sealer = driver.services.sealing.sealer(driver.graph.segment.segment_id);
      sealing = new StepSealing(sealer, plan, driver.tenantId, driver.runId, def.step_id);
      const opened = await sealing.open(inputs);
      const record = await sealing.openRecord(rec);
      ctx = driver.services.makeContext({ driver, def, type, rec: record, attempt, inputs: opened });
      ctx.sealing = sealing;
    } catch (error) {
      return finish({ kind: 'error', error });
    }
    if (settled) return;
    invocation = new Invocation(attempt, ctx, driver.services.clock, sealed);
    if (pauseRequested) invocation.pause(true);
    invocation.start(def, type);
  })();
  return flight;
}
