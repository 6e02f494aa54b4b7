import type { StepContext } from '../catalog/types.js';
import { StepError } from '../errors.js';
import type { InteractionType } from '../store/types.js';
import type { HumanOutcome } from './types.js';

function stripSealed(value: unknown, sealed: string[]): unknown {
  if (!sealed.length || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of sealed) delete copy[key];
  return copy;
}

/**
 * Handler of the built-in `human_task` step: asks through `ctx.requestApproval` (so it is
 * bound to whichever engine runs it, even with a shared catalog) and routes the answer to
 * `approved`, `rejected`, `changes_requested` or `timeout`, plus `output` with the response.
 */
export async function runHumanTask(ctx: StepContext): Promise<Record<string, unknown>> {
  const cfg = ctx.config as Record<string, any>;
  const timeout = cfg.timeout ?? (cfg.timeout_hours !== undefined ? cfg.timeout_hours * 3600 : undefined);
  const outcome = await ctx.requestApproval({
    type: cfg.task_type as InteractionType,
    title: cfg.title,
    description: cfg.description,
    assignee: cfg.assignee_ref,
    priority: cfg.priority,
    inputSchema: cfg.input_schema,
    options: cfg.options,
    timeout,
    on_timeout: cfg.on_timeout,
    sla_warning: cfg.sla_warning,
    sla_breach: cfg.sla_breach,
    escalation_chain: cfg.escalation_chain,
    auto_approve_after: cfg.auto_approve_after,
    required_approvers: cfg.required_approvers,
    max_revisions: cfg.max_revisions,
    context: stripSealed(ctx.input, cfg.sealed_fields ?? []),
  });
  return humanTaskOutputs(cfg, ctx.input, ctx.iteration, outcome);
}

/**
 * The ports a `human_task` writes for a closing answer. Throws (a non-retryable
 * `StepError`) when the answer fails the step (`on_timeout: fail`).
 */
export function humanTaskOutputs(
  cfg: Record<string, any>,
  input: unknown,
  iteration: number,
  outcome: HumanOutcome,
): Record<string, unknown> {
  const response: Record<string, unknown> = {
    action: outcome.action,
    by: outcome.subject,
    value: outcome.value,
    comment: outcome.comment,
    interaction_id: outcome.interactionId,
    revision: iteration,
  };
  if (cfg.task_type === 'chat') {
    response.messages = outcome.responses
      .filter((r) => r.action === 'message')
      .map((r) => ({ by: r.subject, text: typeof r.value === 'string' ? r.value : r.comment, at: r.at }));
  }
  if (cfg.required_approvers)
    response.approvers = outcome.responses.filter((r) => r.action === 'approve').map((r) => r.subject);
  switch (outcome.action) {
    case 'approve':
      return { approved: input, output: response };
    case 'respond':
    case 'close':
      return { approved: outcome.value ?? input, output: response };
    case 'reject':
      return { rejected: input, output: response };
    case 'request_changes':
      return { changes_requested: outcome.comment ?? outcome.value ?? '', output: response };
    case 'timeout':
      if (cfg.on_timeout === 'fail') {
        throw StepError.nonRetryable(`"${cfg.title}" was not answered in time (on_timeout: fail)`, {
          code: 'LLMT_E_TIMEOUT',
        });
      }
      return { timeout: input, output: response };
    default:
      throw StepError.nonRetryable(`unexpected answer "${outcome.action}" to "${cfg.title}"`, {
        code: 'LLMT_E_RESPONSE_INVALID',
      });
  }
}
