import type { StepContext, SuspendOptions } from '../catalog/types.js';
import { isLlmteamError } from '../errors.js';
import { redactSealed } from '../sealing/sealed-value.js';
import { failSpan, startToolSpan } from '../telemetry/genai-spans.js';
import type { ValidateFunction } from '../util/ajv.js';
import type { StepAuditEntry } from '../worktrail/audit-actions.js';
import type { WorktrailEventDraft } from '../worktrail/event-types.js';
import { agentError } from './agent-error.js';
import type { AgentApprovalSuspension, AgentState, ToolOutcome } from './agent-state.js';
import type { AgentToolProgress, ResolvedAgentTool } from './agent-tool-kinds.js';
import type { LlmAgentConfig } from './llm-agent-config.js';
import { approvalRequest, decisionsOf, refusal, TOOL_APPROVAL_TIMER, undecided } from './tool-approvals.js';

/** Events an agent commits with its checkpoints. */
export type AgentEvent = WorktrailEventDraft<
  | 'model.call.completed'
  | 'agent.handoff'
  | 'agent.assigned'
  | 'tool.call.completed'
  | 'tool.call.failed'
  | 'tool.call.refused'
  | 'tool.approval.decided'
  | 'tool.call.delegated'
>;

/** What {@link settleTools} needs from the agent loop. */
export interface SettleToolsDeps {
  tools: ResolvedAgentTool[];
  /** Commits the state with these events (serialised; resolves once stored). */
  commit(state: AgentState, events: AgentEvent[], audit?: StepAuditEntry[]): Promise<void>;
  validatorOf(schema: Record<string, unknown>): ValidateFunction;
  errorsText(validate: ValidateFunction): string;
}

/**
 * Brings the tool calls of the last response to results: records the approval decisions
 * that came in, runs every call that may run (concurrently, each result committed as soon
 * as it is in), refuses the rejected ones, and suspends the step while approvals are open.
 * Returns once every call has a committed result.
 */
export async function settleTools(
  ctx: StepContext<LlmAgentConfig>,
  state: AgentState,
  deps: SettleToolsDeps,
): Promise<void> {
  const pending = state.pending!;
  const { calls, results } = pending;
  const approvals = pending.approvals ?? {};
  const turn = state.turn;
  const toolOf = (name: string) => deps.tools.find((t) => t.action === name);

  const open = undecided(approvals);
  if (open.length) {
    const decided = decisionsOf(ctx.resume);
    const events: AgentEvent[] = [];
    for (const callId of open) {
      const approval = approvals[callId]!;
      const decision = decided[approval.interactionId];
      if (!decision) continue;
      const call = calls.find((c) => c.id === callId)!;
      const schema = toolOf(call.name)?.parameters;
      if (decision.action === 'approve' && decision.edits && schema && !decision.unreadable) {
        const validate = deps.validatorOf(schema);
        if (!validate(decision.edits))
          decision.unreadable = `the edited arguments do not fit the tool's parameters: ${deps.errorsText(validate)}`;
      }
      approval.decision = decision;
      events.push({
        type: 'tool.approval.decided',
        data: {
          turn,
          call_id: callId,
          tool: call.name,
          interaction_id: approval.interactionId,
          action: decision.unreadable ? 'unreadable' : decision.action,
          by: decision.by,
          edited: decision.edits !== undefined && !decision.unreadable,
        },
      });
    }
    if (events.length) await deps.commit(state, events);
  }

  for (const call of calls) {
    const decision = approvals[call.id]?.decision;
    if (!results[call.id] && decision?.action === 'timeout' && toolOf(call.name)?.on_timeout === 'fail')
      throw agentError(
        ctx,
        'LLMT_E_AGENT_APPROVAL_TIMEOUT',
        `tool "${call.name}"`,
        `the approval of call ${call.id} was not given in time (on_timeout: fail)`,
      );
  }

  await Promise.all(
    calls
      .filter((call) => !results[call.id] && (!approvals[call.id] || approvals[call.id]!.decision))
      .map(async (call) => {
        const decision = approvals[call.id]?.decision;
        const key = `${ctx.runId}:${ctx.stepId}:${turn}:${call.id}`;
        let outcome: ToolOutcome;
        // What a kind records with the call's result (e.g. a handoff heard of only now).
        let records: { events?: unknown[]; audit?: StepAuditEntry[] } = {};
        const refused = decision !== undefined && (decision.action !== 'approve' || !!decision.unreadable);
        if (refused) outcome = refusal(call, decision);
        else {
          const edits = decision?.edits;
          const kind = toolOf(call.name)?.kind;
          const tool = startToolSpan(ctx.trace, ctx.clock, { name: call.name, id: call.id, turn });
          let final: ToolOutcome['final'];
          try {
            let result: { data?: unknown };
            if (kind) {
              const progress: AgentToolProgress = await kind.call(ctx, toolOf(call.name)!, {
                idempotencyKey: key,
                turn,
                callId: call.id,
                args: edits ?? JSON.parse(call.arguments || '{}'),
                childRunId: pending.delegated?.[call.id],
              });
              if (progress.status === 'delegated') {
                tool.span.end(ctx.clock.now());
                if (pending.delegated?.[call.id] !== progress.childRunId) {
                  pending.delegated = { ...pending.delegated, [call.id]: progress.childRunId };
                  await deps.commit(
                    state,
                    [
                      ...((progress.events ?? []) as AgentEvent[]),
                      {
                        type: 'tool.call.delegated',
                        data: {
                          turn,
                          call_id: call.id,
                          tool: call.name,
                          idempotency_key: key,
                          child_run_id: progress.childRunId,
                          segment_id: progress.segmentId,
                          version: progress.version,
                        },
                      },
                    ],
                    progress.audit,
                  );
                }
                return;
              }
              records = progress;
              if (progress.status === 'error') throw new Error(progress.error);
              result = { data: progress.result };
              if (progress.final) final = { output: progress.result };
            } else
              result = await ctx.actions.execute(call.name, edits ?? JSON.parse(call.arguments || '{}'), {
                idempotencyKey: key,
                traceContext: tool.context,
              });
            tool.span.end(ctx.clock.now());
            // A sealed value this step may not open reaches the model as "[sealed]", never as ciphertext.
            const data = JSON.stringify(redactSealed(result.data ?? null));
            outcome = {
              content: edits
                ? `${decision!.by} changed the arguments to ${JSON.stringify(edits)} before it ran. Result: ${data}`
                : data,
              isError: false,
              ...(final ? { final } : {}),
            };
          } catch (error) {
            failSpan(tool.span, ctx.clock, error);
            if (isLlmteamError(error) && error.code === 'LLMT_E_STEP_CANCELLED') throw error;
            outcome = { content: `tool failed: ${(error as Error).message}`, isError: true };
          }
        }
        results[call.id] = outcome;
        const data = { turn, call_id: call.id, tool: call.name, idempotency_key: key };
        await deps.commit(
          state,
          [
            ...((records.events ?? []) as AgentEvent[]),
            refused
              ? { type: 'tool.call.refused', data }
              : outcome.isError
                ? { type: 'tool.call.failed', data }
                : { type: 'tool.call.completed', data },
          ],
          records.audit,
        );
      }),
  );

  const waiting = undecided(approvals);
  const children = calls.flatMap((call) =>
    !results[call.id] && pending.delegated?.[call.id] ? [pending.delegated[call.id]!] : [],
  );
  if (!waiting.length && !children.length) return;
  // Requests already stored (the step suspended on them before) are not opened again.
  const suspended = ctx.suspended as Partial<AgentApprovalSuspension> | undefined;
  const stored = new Set(Array.isArray(suspended?.interactionIds) ? suspended.interactionIds : []);
  const reason = state.messages.findLast((m) => m.role === 'assistant')?.content ?? '';
  const drafts = waiting
    .filter((callId) => !stored.has(approvals[callId]!.interactionId))
    .map((callId) => {
      const call = calls.find((c) => c.id === callId)!;
      return approvalRequest(toolOf(call.name)!, call, JSON.parse(call.arguments || '{}'), reason, {
        stepId: ctx.stepId,
        turn,
        interactionId: approvals[callId]!.interactionId,
      });
    });
  const options: SuspendOptions = drafts.length
    ? ctx.draftRequests(drafts)
    : { kind: waiting.length ? 'human' : 'action' };
  if (children.length) options.children = children;
  options.events = [
    ...(options.events ?? []),
    ...drafts.map(
      (d): WorktrailEventDraft<'tool.approval.requested'> => ({
        type: 'tool.approval.requested',
        data: {
          turn,
          call_id: (d.context as { call_id: string }).call_id,
          tool: (d.context as { tool: string }).tool,
          interaction_id: d.interactionId!,
        },
      }),
    ),
  ];
  // Answers that closed while the step could not hear them (a paused run) are read again.
  if (drafts.length < waiting.length)
    options.timers = [
      ...(options.timers ?? []),
      { kind: TOOL_APPROVAL_TIMER, dueAt: new Date(ctx.clock.now()).toISOString() },
    ];
  ctx.suspend(
    {
      interactionIds: waiting.map((callId) => approvals[callId]!.interactionId),
      turn,
      ...(children.length ? { children } : {}),
    } satisfies AgentApprovalSuspension,
    options,
  );
}
