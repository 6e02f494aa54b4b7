import { type LlmteamError, StepError } from '../errors.js';
import type { SegmentGraph } from '../segment/graph.js';
import type { StepDefinition } from '../segment/types.js';
import type { StepStateRecord } from '../store/types.js';

/**
 * Why `outputs` may not be recorded for the step, if so: not an object keyed by port, a
 * port the step does not declare (`declared`), or a back-edge port written once more than
 * its loop's bound allows. Each is a non-retryable {@link StepError}.
 */
export function checkStepOutputs(
  declared: ReadonlySet<string>,
  graph: SegmentGraph,
  def: StepDefinition,
  rec: StepStateRecord,
  outputs: Record<string, unknown>,
): LlmteamError | undefined {
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) {
    return StepError.nonRetryable(
      `step "${def.step_id}" returned ${JSON.stringify(outputs)}; a handler returns an object keyed by output port`,
      {
        code: 'LLMT_E_STEP_OUTPUT',
      },
    );
  }
  for (const port of Object.keys(outputs)) {
    if (!declared.has(port)) {
      return StepError.nonRetryable(
        `step "${def.step_id}" wrote to undeclared output port "${port}"; declare it in the step's outputs (known: ${[...declared].join(', ')})`,
        {
          code: 'LLMT_E_STEP_OUTPUT',
        },
      );
    }
  }
  for (const edge of graph.backOut.get(def.step_id) ?? []) {
    if (!Object.hasOwn(outputs, edge.sourcePort) || !edge.backPort) continue;
    const bound = edge.backPort.bound(def);
    if (typeof bound === 'number' && rec.iteration >= bound) {
      return StepError.nonRetryable(
        `step "${def.step_id}" wrote to back-edge port "${edge.sourcePort}" after ${rec.iteration} loops; its bound is ${bound}, so write another port`,
        { code: 'LLMT_E_LOOP_LIMIT' },
      );
    }
  }
  return undefined;
}
