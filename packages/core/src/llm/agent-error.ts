import type { StepContext } from '../catalog/types.js';
import { StepError } from '../errors.js';

/** An `llm_agent` step's error, naming the step and the field. */
export function agentError(
  ctx: Pick<StepContext, 'stepId'>,
  code: string,
  field: string,
  message: string,
  retryable = false,
): StepError {
  const text = `llm_agent step "${ctx.stepId}", ${field}: ${message}`;
  return retryable
    ? new StepError(text, { code })
    : StepError.nonRetryable(text, { code, details: { step: ctx.stepId, field } });
}
