import type { StepTypeDefinition } from '../catalog/types.js';
import type { SealingPlan } from '../sealing/sealing-plan.js';
import type { StepDefinition } from '../segment/types.js';
import type { StepStateRecord } from '../store/types.js';
import type { RunDriver } from './run-driver.js';
import type { StepContextImpl } from './step-context.js';
import { type InFlight, type Outcome, runHandler } from './step-execution.js';
import { StepSealing } from './step-sealing.js';

/**
 * Runs a handler of a segment that seals fields: the sealed values the step may open are
 * decrypted for its context only, and its outcome is sealed and scrubbed before it is
 * committed (see {@link StepSealing}).
 */
export async function executeSealed(
  driver: RunDriver,
  plan: SealingPlan,
  def: StepDefinition,
  type: StepTypeDefinition,
  flight: InFlight,
  rec: StepStateRecord,
  inputs: Record<string, unknown>,
): Promise<Outcome> {
  let sealing: StepSealing;
  let ctx: StepContextImpl;
  try {
    const sealer = driver.services.sealing.sealer(driver.graph.segment.segment_id);
    sealing = new StepSealing(sealer, plan, driver.tenantId, driver.runId, def.step_id);
    const opened = await sealing.open(inputs);
    const record = await sealing.openRecord(rec);
    ctx = driver.services.makeContext({
      driver,
      def,
      type,
      rec: record,
      attempt: flight.attempt,
      inputs: opened,
    });
    ctx.sealing = sealing;
  } catch (error) {
    return { kind: 'error', error };
  }
  const outcome = await runHandler(def, type, ctx, flight, driver.services.clock);
  try {
    return await sealing.sealOutcome(outcome);
  } catch (error) {
    // Nothing of an outcome that could not be sealed is committed.
    return { kind: 'error', error: await sealing.sealError(error).catch(() => error) };
  }
}
