import type { StepContext, TokenBudgetState } from '../catalog/types.js';
import { StepError } from '../errors.js';
import { LimitExceededError } from '../tenancy/tenant-limits.js';
import type { LlmAgentConfig } from './llm-agent-config.js';
import { LlmError } from './llm-error.js';

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

/** `LLMT_E_TOKEN_BUDGET`, naming the budget and what was used. */
export function budgetError(
  ctx: { stepId: string },
  field: string,
  name: string,
  used: number,
  limit: number,
  fix: string,
): StepError {
  return StepError.nonRetryable(
    `llm_agent step "${ctx.stepId}", ${field}: the next model call would pass the ${name}: ${used} of ${limit} tokens used; ${fix}`,
    { code: 'LLMT_E_TOKEN_BUDGET', details: { step: ctx.stepId, field, budget: name, used, limit } },
  );
}

/**
 * The tenant's `llm_tokens_per_month` is used up: `LLMT_E_LIMIT_EXCEEDED` (not retryable;
 * the model is not called), with the limit, its value, the tier, the use and the step.
 */
export function tokenLimitError(
  ctx: { stepId: string; tenantId: string },
  budget: TokenBudgetState & { tier: string },
): StepError {
  const refusal = new LimitExceededError({
    tenantId: ctx.tenantId,
    limit: 'llm_tokens_per_month',
    value: budget.limit,
    tier: budget.tier,
    used: budget.used,
  });
  return StepError.nonRetryable(`step "${ctx.stepId}" did not call the model: ${refusal.message}`, {
    code: refusal.code,
    details: { ...refusal.details, step: ctx.stepId },
    cause: refusal,
  });
}

/**
 * Throws {@link tokenLimitError} when the tenant's `llm_tokens_per_month` is reached; other
 * budgets are returned for the caller to weigh. Call it before every model call.
 */
export async function checkTokenLimit(
  ctx: Pick<StepContext, 'stepId' | 'tenantId' | 'tokenBudgets'>,
): Promise<TokenBudgetState[]> {
  const budgets = await ctx.tokenBudgets();
  for (const budget of budgets)
    if (budget.tier !== undefined && budget.used >= budget.limit)
      throw tokenLimitError(ctx, { ...budget, tier: budget.tier });
  return budgets.filter((b) => b.tier === undefined);
}

/** A provider's failure, named for the step and the field to look at (same kind, code and retry advice). */
export function inStep(stepId: string, config: LlmAgentConfig, error: LlmError): LlmError {
  const field =
    error.status === 404 ? `config.model "${config.model ?? ''}"` : `config.provider "${config.provider}"`;
  return new LlmError(error.kind, `llm_agent step "${stepId}", ${field}: ${error.message}`, {
    provider: config.provider,
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    cause: error,
  });
}

/**
 * What an agent works on: the `input` port's value, or (the step declares several input
 * ports of its own) the object keyed by port. The type's `feedback` port is for revision
 * loops and is told to the model as a message of its own, never mixed into the input.
 */
export function agentInput(ctx: Pick<StepContext, 'step' | 'inputs' | 'input'>): unknown {
  return ctx.step.inputs ? ctx.input : ctx.inputs.input;
}
