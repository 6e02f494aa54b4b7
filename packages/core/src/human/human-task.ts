import { humanTaskConfigSchema } from '../catalog/builtins/human-task-schema.js';
import type { StepCommit } from '../catalog/step-hooks.js';
import { defineStepType, type StepContext, type StepTypeDefinition } from '../catalog/types.js';
import { StepError } from '../errors.js';
import type { InteractionType } from '../store/types.js';
import type { HumanPayload } from './interaction-desk.js';
import type { HumanOutcome } from './types.js';

function stripSealed(value: unknown, sealed: string[]): unknown {
  if (!sealed.length || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of sealed) delete copy[key];
  return copy;
}

const HUMAN_TASK_PORTS = ['approved', 'rejected', 'changes_requested', 'timeout', 'output'];

/**
 * The built-in `human_task` step type, built only on the public step hooks: its handler
 * asks through `ctx.requestApproval` (so it is bound to whichever engine runs it, even with
 * a shared catalog) and routes the answer to `approved`, `rejected`, `changes_requested` or
 * `timeout`, plus `output` with the response; `onSignal` finishes the step inside the
 * answer's commit; `changes_requested` is a back-edge port bounded by `max_revisions`.
 */
export function createHumanTaskStepType(): StepTypeDefinition {
  return defineStepType({
    type: 'human_task',
    displayName: 'Human task',
    category: 'HUMAN',
    description: 'Stops for a person (approval, choice, input, review, task, chat) and routes on the answer.',
    configSchema: humanTaskConfigSchema,
    inputs: [{ port_id: 'input' }],
    outputs: [
      { port_id: 'approved' },
      { port_id: 'rejected' },
      { port_id: 'changes_requested' },
      { port_id: 'timeout' },
      { port_id: 'output' },
    ],
    backEdges: [
      {
        port: 'changes_requested',
        feedbackPort: 'feedback',
        bound(step) {
          const max = step.config?.max_revisions;
          if (max === undefined) return 3;
          return typeof max === 'number' && max >= 1 ? max : 'config.max_revisions >= 1';
        },
      },
    ],
    outputsFor(step) {
      const taskType = step.config?.task_type;
      // Only a review takes `request_changes` (see the answer rules): no other type loops back.
      return taskType === 'review'
        ? { ports: HUMAN_TASK_PORTS }
        : {
            ports: HUMAN_TASK_PORTS.filter((p) => p !== 'changes_requested'),
            hint: `only task_type "review" requests changes (this one is ${JSON.stringify(taskType)})`,
          };
    },
    validate(step) {
      const cfg = (step.config ?? {}) as { assignee_ref?: unknown; assignment?: { strategy?: string } };
      if (!cfg.assignment) return [];
      const refs = Array.isArray(cfg.assignee_ref) ? cfg.assignee_ref : [cfg.assignee_ref];
      return refs.some((r) => typeof r === 'string' && r.startsWith('group:'))
        ? []
        : [
            [
              '.config.assignee_ref',
              `assignment "${cfg.assignment.strategy}" gives the request to one member of a group; set assignee_ref to "group:<name>"`,
            ],
          ];
    },
    handler: runHumanTask,
    onSignal: finishOnAnswer,
  });
}

/**
 * The answer to the step's one request needs no second handler call: its ports follow from
 * the answer, so the step completes in the answer's commit and the next step starts with it.
 */
function finishOnAnswer(commit: StepCommit, data: unknown): void {
  const payload = commit.state.suspension?.payload as HumanPayload | undefined;
  const outcome = data as HumanOutcome | undefined;
  if (!outcome || !payload || outcome.interactionId !== payload.interactionId || payload.answers?.length) {
    commit.rerun(data);
    return;
  }
  let outputs: Record<string, unknown>;
  try {
    outputs = humanTaskOutputs(commit.config, commit.input, commit.state.iteration, outcome);
  } catch {
    // The answer fails the step (on_timeout: fail): let the handler raise it.
    commit.rerun(data);
    return;
  }
  commit.complete(outputs);
}

async function runHumanTask(ctx: StepContext): Promise<Record<string, unknown>> {
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
    assignment: cfg.assignment,
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
  // Every round's feedback, this answer's included when it asks for changes again.
  const history = [...(outcome.feedbackHistory ?? [])];
  if (outcome.action === 'request_changes')
    history.push({
      revision: iteration,
      feedback: String(outcome.comment ?? outcome.value ?? ''),
      by: outcome.subject,
      at: outcome.responses.at(-1)?.at ?? '',
    });
  if (history.length) response.feedback_history = history;
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
