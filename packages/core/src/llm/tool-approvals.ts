import type { ExpressionCache } from '../catalog/builtins/expression.js';
import type { StepCommit, StepHooks } from '../catalog/step-hooks.js';
import type { Logger } from '../catalog/types.js';
import type { DraftRequest } from '../human/types.js';
import type { InteractionPriority, InteractionRecord } from '../store/types.js';
import { CLOSED_INTERACTION_STATUSES } from '../store/types.js';
import type {
  AgentApprovalResume,
  AgentApprovalSuspension,
  PendingApproval,
  ToolApprovalDecision,
  ToolOutcome,
} from './agent-state.js';
import type { LlmToolCall } from './types.js';

/** A policy: always (`true`), never (`false`), or JSONata over the call's arguments. */
export type ApprovalPolicy = boolean | string;

/** The approval settings of one `llm_agent` tool (snake_case, as in segment JSON). */
export interface LlmAgentToolApproval {
  /**
   * Whether a call needs a person's approval before it runs: `true`, or a JSONata
   * expression over the call's arguments (`$tenant` is the run's tenant), e.g.
   * `"amount > 1000"`. A policy that fails to evaluate asks for approval.
   * @default false
   */
  requires_approval?: ApprovalPolicy;
  /** Policies for particular tenants, by tenant id; they replace `requires_approval` there. */
  requires_approval_by_tenant?: Record<string, ApprovalPolicy>;
  /** Who approves: `alice`, `user:alice`, `group:finance`, or a list. @default anyone allowed to answer */
  assignee_ref?: string | string[];
  /** Title of the request in the inbox. @default "Approve <action>" */
  title?: string;
  priority?: InteractionPriority;
  /** Deadline of the approval (ISO 8601 duration or seconds). @default none */
  timeout?: string | number;
  /** At the deadline: `reject` tells the model the call was refused; `fail` fails the step. @default "reject" */
  on_timeout?: 'reject' | 'approve' | 'fail' | 'escalate';
  sla_warning?: string | number;
  sla_breach?: string | number;
  escalation_chain?: Array<string | string[]>;
  auto_approve_after?: string | number;
  required_approvers?: string[] | { group?: string; count: number };
}

/** Timer kind the agent uses to re-read its open approvals after a resume. */
export const TOOL_APPROVAL_TIMER = 'llm_agent.tool_approvals';

/** The JSON Schema of the approval keys of a tool (merged into the step's config schema). */
export const toolApprovalSchema = {
  requires_approval: { type: ['boolean', 'string'] },
  requires_approval_by_tenant: {
    type: 'object',
    additionalProperties: { type: ['boolean', 'string'] },
  },
  assignee_ref: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
  title: { type: 'string' },
  priority: { enum: ['low', 'normal', 'high', 'critical'] },
  timeout: { type: ['string', 'number'] },
  on_timeout: { enum: ['reject', 'approve', 'fail', 'escalate'] },
  sla_warning: { type: ['string', 'number'] },
  sla_breach: { type: ['string', 'number'] },
  escalation_chain: { type: 'array' },
  auto_approve_after: { type: ['string', 'number'] },
  required_approvers: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'object' }] },
} as const;

/** The policy that applies to a tenant. */
export function approvalPolicy(tool: LlmAgentToolApproval, tenantId: string): ApprovalPolicy {
  const own = tool.requires_approval_by_tenant?.[tenantId];
  return own ?? tool.requires_approval ?? false;
}

/** Whether this call needs an approval; a policy that cannot be evaluated says yes. */
export async function needsApproval(
  expressions: ExpressionCache,
  tool: LlmAgentToolApproval & { action: string },
  args: unknown,
  tenantId: string,
  logger: Logger,
): Promise<boolean> {
  const policy = approvalPolicy(tool, tenantId);
  if (typeof policy === 'boolean') return policy;
  try {
    return Boolean(await expressions.evaluate(policy, args, { tenant: tenantId }));
  } catch (error) {
    logger.warn(
      { tool: tool.action, policy, error: (error as Error).message },
      'approval policy failed; asking for approval',
    );
    return true;
  }
}

/** The request a person answers for one tool call: a `review` whose approve may edit the arguments. */
export function approvalRequest(
  tool: LlmAgentToolApproval & { action: string; parameters?: Record<string, unknown> },
  call: LlmToolCall,
  args: unknown,
  reason: string,
  where: { stepId: string; turn: number; interactionId: string },
): DraftRequest {
  return {
    interactionId: where.interactionId,
    type: 'review',
    title: tool.title ?? `Approve ${tool.action}`,
    description: reason || undefined,
    assignee: tool.assignee_ref,
    priority: tool.priority,
    timeout: tool.timeout,
    on_timeout: tool.on_timeout === 'fail' ? undefined : (tool.on_timeout ?? 'reject'),
    sla_warning: tool.sla_warning,
    sla_breach: tool.sla_breach,
    escalation_chain: tool.escalation_chain,
    auto_approve_after: tool.auto_approve_after,
    required_approvers: tool.required_approvers,
    inputSchema: tool.parameters,
    context: {
      kind: 'tool_approval',
      tool: tool.action,
      arguments: args,
      reason: reason || null,
      step_id: where.stepId,
      turn: where.turn,
      call_id: call.id,
    },
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads a closing answer (`{ action, subject | by, value, comment }`). Returns undefined
 * when it is no answer at all (the call keeps waiting); an answer whose edits cannot be
 * read is returned as `unreadable` (the call is refused).
 */
export function readDecision(answer: unknown): ToolApprovalDecision | undefined {
  if (!isObject(answer)) return undefined;
  const action = answer.action;
  const by = typeof answer.subject === 'string' ? answer.subject : answer.by;
  if (typeof by !== 'string') return undefined;
  if (action !== 'approve' && action !== 'reject' && action !== 'request_changes' && action !== 'timeout')
    return undefined;
  const decision: ToolApprovalDecision = { action, by };
  if (typeof answer.comment === 'string') decision.comment = answer.comment;
  const edits = 'edits' in answer ? answer.edits : answer.value;
  if (action === 'approve' && edits !== undefined && edits !== null) {
    if (isObject(edits)) decision.edits = edits;
    else decision.unreadable = `the edited arguments are ${JSON.stringify(edits)}, not an object`;
  }
  if (typeof answer.unreadable === 'string') decision.unreadable = answer.unreadable;
  return decision;
}

/** The decisions in resume data: `{ approvals }` from the hooks, or one raw answer (a paused run). */
export function decisionsOf(resume: unknown): Record<string, ToolApprovalDecision> {
  const found: Record<string, ToolApprovalDecision> = {};
  if (!isObject(resume)) return found;
  if (isObject(resume.approvals)) {
    for (const [id, answer] of Object.entries(resume.approvals)) {
      const decision = readDecision(answer);
      if (decision) found[id] = decision;
    }
  } else if (typeof resume.interactionId === 'string') {
    const decision = readDecision(resume);
    if (decision) found[resume.interactionId] = decision;
  }
  return found;
}

/** What the model is told about a call that did not run. */
export function refusal(call: LlmToolCall, d: ToolApprovalDecision): ToolOutcome {
  const name = call.name;
  let content: string;
  if (d.unreadable)
    content = `The approval of ${name} could not be read (${d.unreadable}); the call was refused and did not run.`;
  else if (d.action === 'timeout' || (d.by === 'system' && d.comment === 'timed out'))
    content = `The call to ${name} was not approved in time; it was refused and did not run.`;
  else if (d.action === 'request_changes')
    content = `${d.by} asked for changes before ${name} may run${d.comment ? `: ${d.comment}` : ''}. It did not run; call it again with changed arguments to ask for a new approval.`;
  else
    content = `The call to ${name} was refused by ${d.by}${d.comment ? `: ${d.comment}` : ''}. It did not run.`;
  return { content, isError: true };
}

/** The closing answer of a stored request, or undefined while it is open. */
function closedDecision(record: InteractionRecord | undefined): ToolApprovalDecision | undefined {
  if (!record || !CLOSED_INTERACTION_STATUSES.has(record.status)) return undefined;
  if (!record.outcome) return { action: 'reject', by: 'system', comment: `the request was ${record.status}` };
  return (
    readDecision(record.outcome) ?? {
      action: 'reject',
      by: record.outcome.subject ?? 'system',
      unreadable: `the answer "${record.outcome.action}" is not a decision`,
    }
  );
}

/** Re-runs the handler once every open approval of the suspension is decided. */
async function collect(commit: StepCommit, payload: AgentApprovalSuspension): Promise<void> {
  const approvals: AgentApprovalResume['approvals'] = {};
  for (const id of payload.interactionIds) {
    const decision = closedDecision(await commit.interaction(id));
    if (!decision) return;
    approvals[id] = decision;
  }
  commit.rerun({ approvals } satisfies AgentApprovalResume);
}

function approvalPayload(commit: StepCommit): AgentApprovalSuspension | undefined {
  const payload = commit.state.suspension?.payload as Partial<AgentApprovalSuspension> | undefined;
  return Array.isArray(payload?.interactionIds) ? (payload as AgentApprovalSuspension) : undefined;
}

/**
 * The hooks of tool approvals: a closing answer to one of the open requests arrives as a
 * signal, and the handler runs again once all of them are decided, in any order. A signal
 * that is no answer to them changes nothing: the step stays suspended.
 */
export const toolApprovalHooks: Required<Pick<StepHooks, 'onSignal' | 'timers'>> = {
  async onSignal(commit, data) {
    const payload = approvalPayload(commit);
    const id = isObject(data) ? data.interactionId : undefined;
    if (!payload || typeof id !== 'string' || !payload.interactionIds.includes(id)) {
      commit.emit('tool.approval.ignored', {
        reason: payload
          ? 'the signal is no answer to an open tool approval'
          : 'the step is not waiting for approvals',
      });
      return;
    }
    await collect(commit, payload);
  },
  timers: {
    async [TOOL_APPROVAL_TIMER](commit) {
      const payload = approvalPayload(commit);
      if (payload && commit.state.status === 'waiting') await collect(commit, payload);
    },
  },
};

/** Ids of the calls that wait for a decision. */
export function undecided(approvals: Record<string, PendingApproval> | undefined): string[] {
  return Object.entries(approvals ?? {})
    .filter(([, a]) => !a.decision)
    .map(([callId]) => callId);
}
