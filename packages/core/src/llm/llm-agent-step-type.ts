import type { ExpressionCache } from '../catalog/builtins/expression.js';
import type { StepTypeDefinition } from '../catalog/types.js';
import { defineStepType } from '../catalog/types.js';
import { isLlmteamError, StepError } from '../errors.js';
import { redactSealed } from '../sealing/sealed-value.js';
import { endModelCallSpan, failSpan, startModelCallSpan } from '../telemetry/genai-spans.js';
import { createAjv, type ValidateFunction } from '../util/ajv.js';
import type { StepAuditEntry } from '../worktrail/audit-actions.js';
import { agentError, agentInput, budgetError, checkTokenLimit, inStep } from './agent-error.js';
import { memoryMessage, readAgentMemory, writeAgentMemory } from './agent-memory-wiring.js';
import type { AgentState, PendingApproval, StoredAgentState } from './agent-state.js';
import {
  type AgentToolKind,
  resolveTools,
  toolReferences,
  withChildOutcomes,
  withToolKinds,
} from './agent-tool-kinds.js';
import { type AgentEvent, settleTools } from './agent-tools.js';
import { ConversationLog } from './conversation-log.js';
import { LLM_AGENT_DEFAULTS, type LlmAgentConfig, llmAgentConfigSchema } from './llm-agent-config.js';
import { llmAgentProblems } from './llm-agent-validate.js';
import { isLlmError } from './llm-error.js';
import { needsApproval, toolApprovalHooks } from './tool-approvals.js';
import type { LlmDelta, LlmMessage, LlmResponse, LlmToolDefinition, LlmUsage } from './types.js';

const add = (a: LlmUsage, b: LlmUsage): LlmUsage => ({
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
  cachedInputTokens: (a.cachedInputTokens ?? 0) + (b.cachedInputTokens ?? 0),
});

/** Options of {@link createLlmAgentStepType}. */
export interface LlmAgentStepTypeOptions {
  /**
   * Kinds of tools besides named actions (e.g. child segments), selected by a key of the
   * tool entry instead of `action`.
   * @default []
   */
  toolKinds?: readonly AgentToolKind[];
}

/**
 * The `llm_agent` step type: a durable agent loop over a registered provider. Each model
 * response is committed (`ctx.checkpoint`) before anything acts on it, and each tool result
 * as soon as it is in, so a crash repeats at most the call that was in flight. Tool calls
 * run through `ctx.actions` (or their tool kind) with the key `runId:stepId:turn:callId`,
 * concurrently.
 */
export function createLlmAgentStepType(
  expressions: ExpressionCache,
  options: LlmAgentStepTypeOptions = {},
): StepTypeDefinition<LlmAgentConfig> {
  const kinds = options.toolKinds ?? [];
  const ajv = createAjv();
  const validators = new WeakMap<object, ValidateFunction>();
  const validatorOf = (schema: Record<string, unknown>) => {
    let validate = validators.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      validators.set(schema, validate);
    }
    return validate;
  };

  return defineStepType<LlmAgentConfig>({
    type: 'llm_agent',
    displayName: 'LLM agent',
    category: 'AI',
    description:
      'A durable agent loop: asks a registered LLM provider, runs the tools it calls as named actions, and writes the final answer to `output`.',
    configSchema: kinds.length ? withToolKinds(llmAgentConfigSchema, kinds) : llmAgentConfigSchema,
    ...toolApprovalHooks,
    onSignal: withChildOutcomes(toolApprovalHooks.onSignal),
    references: (step) => toolReferences(step, kinds),
    inputs: [{ port_id: 'input' }, { port_id: 'feedback' }],
    outputs: [{ port_id: 'output' }],
    validate: (step) => llmAgentProblems(step, expressions, ajv, kinds),
    async handler(ctx) {
      const config = ctx.config;
      const provider = ctx.resources.llms[config.provider];
      if (!provider)
        throw agentError(
          ctx,
          'LLMT_E_AGENT_CONFIG',
          'config.provider',
          `no LLM provider "${config.provider}" is registered (registered: ${Object.keys(ctx.resources.llms).join(', ') || 'none'}); install and configure its plugin`,
        );
      const tools = resolveTools(config.tools, kinds);
      for (const [i, tool] of tools.entries())
        if (!tool.kind && !ctx.actions.has(tool.action))
          throw agentError(
            ctx,
            'LLMT_E_AGENT_CONFIG',
            `config.tools[${i}].action`,
            `no action "${tool.action}" is declared or registered`,
          );
      const toolDefs: LlmToolDefinition[] = tools.map((tool) => ({
        name: tool.action,
        description: tool.description ?? `Calls the action ${tool.action}.`,
        parameters: tool.parameters ?? { type: 'object' },
      }));
      const maxTurns = config.max_turns ?? LLM_AGENT_DEFAULTS.max_turns;

      const stored = ctx.checkpointed as StoredAgentState | AgentState | undefined;
      let log = new ConversationLog();
      let state: AgentState | undefined;
      // The loop mutates its state; the stored checkpoint stays as it was committed.
      if (stored?.v === 2) {
        const { conversation, ...rest } = stored;
        const restored = ConversationLog.restore(conversation);
        log = restored.log;
        state = { ...structuredClone(rest), v: 1, messages: restored.messages };
      } else state = stored && structuredClone(stored);
      const maxBytes = config.max_conversation_bytes ?? LLM_AGENT_DEFAULTS.max_conversation_bytes;
      const guard = (messages: readonly LlmMessage[]) => {
        const size = log.bytes(messages);
        if (size > maxBytes)
          throw agentError(
            ctx,
            'LLMT_E_AGENT_CONVERSATION_TOO_LARGE',
            'config.max_conversation_bytes',
            `the conversation is ${size} bytes, over the limit of ${maxBytes} (max_conversation_bytes); raise it, lower max_turns or make tools return less`,
          );
      };
      if (!state) {
        // Read once: the values enter the conversation, which the first model call commits.
        const remembered = await readAgentMemory(ctx);
        let prompt: unknown;
        if (config.prompt) {
          try {
            prompt = await expressions.evaluate(
              config.prompt,
              agentInput(ctx),
              { memory: remembered },
              {
                stepId: ctx.stepId,
                field: 'config.prompt',
              },
            );
          } catch (error) {
            throw agentError(ctx, 'LLMT_E_EXPRESSION', 'config.prompt', (error as Error).message);
          }
        } else prompt = agentInput(ctx);
        const messages: LlmMessage[] = [];
        if (config.system_prompt) messages.push({ role: 'system', content: config.system_prompt });
        const recalled = memoryMessage(remembered);
        if (recalled) messages.push({ role: 'system', content: recalled });
        messages.push({
          role: 'user',
          content: typeof prompt === 'string' ? prompt : JSON.stringify(redactSealed(prompt ?? null)),
        });
        const feedback = ctx.step.inputs ? undefined : ctx.inputs.feedback;
        if (feedback !== undefined)
          messages.push({
            role: 'user',
            content: `Feedback on your previous answer: ${typeof feedback === 'string' ? feedback : JSON.stringify(feedback)}`,
          });
        state = {
          v: 1,
          turn: 0,
          messages,
          usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 },
          repairs: 0,
        };
      }

      // Commits are serialised: concurrent tool results each get a commit of their own.
      let commits: Promise<void> = Promise.resolve();
      const commit = (next: AgentState, events: AgentEvent[], audit?: StepAuditEntry[]) => {
        guard(next.messages);
        // Committed pieces of the conversation are shared with earlier checkpoints, never copied.
        const { messages, v: _v, ...rest } = next;
        const snapshot: StoredAgentState = {
          ...structuredClone(rest),
          v: 2,
          conversation: log.seal(messages),
        };
        commits = commits.then(() =>
          ctx.checkpoint(snapshot, { events, ...(audit?.length ? { audit } : {}) }),
        );
        return commits;
      };

      // The answer is committed before this runs; its memory writes are idempotent by attempt.
      const finish = async (output: unknown) => {
        const written = await writeAgentMemory(ctx, expressions, output);
        if (written) ctx.emit('memory.written', written);
        return { output };
      };

      let resetSent = false;
      for (;;) {
        const last = state.messages.at(-1);
        if (last?.role === 'assistant' && !last.toolCalls?.length) {
          if (!config.output_schema) return finish(last.content);
          let parsed: unknown;
          let problem: string | undefined;
          try {
            parsed = JSON.parse(last.content);
            const validate = validatorOf(config.output_schema);
            if (!validate(parsed)) problem = ajv.errorsText(validate.errors);
          } catch (error) {
            problem = `not JSON: ${(error as Error).message}`;
          }
          if (!problem) return finish(parsed);
          if (state.repairs >= LLM_AGENT_DEFAULTS.repair_turns)
            throw StepError.nonRetryable(
              `llm_agent step "${ctx.stepId}", config.output_schema: the answer does not fit the schema (${problem}) after ${state.repairs} repair turn(s)`,
              {
                code: 'LLMT_E_AGENT_OUTPUT',
                details: { step: ctx.stepId, field: 'config.output_schema', raw: last.content },
              },
            );
          // The repair prompt follows from the committed answer; the next response commits it.
          state.repairs++;
          state.messages.push({
            role: 'user',
            content: `Your answer does not fit the required JSON Schema: ${problem}. Answer again with only JSON that fits it.`,
          });
        }
        if (state.pending) {
          await settleTools(ctx, state, {
            tools,
            commit,
            validatorOf,
            errorsText: (validate) => ajv.errorsText(validate.errors),
          });
          // A handoff ends the agent: the agent that took over answered for it.
          const handedOff = state.pending.calls
            .map((c) => state!.pending!.results[c.id]?.final)
            .find(Boolean);
          if (handedOff) return finish(handedOff.output);
          for (const call of state.pending.calls) {
            const outcome = state.pending.results[call.id]!;
            state.messages.push({
              role: 'tool',
              toolCallId: call.id,
              name: call.name,
              content: outcome.content,
              ...(outcome.isError ? { isError: true } : {}),
            });
          }
          state.pending = undefined;
        }

        if (state.turn >= maxTurns)
          throw agentError(
            ctx,
            'LLMT_E_AGENT_MAX_TURNS',
            'config.max_turns',
            `the model made ${state.turn} calls without a final answer (max_turns ${maxTurns})`,
          );
        const used = state.usage.inputTokens + state.usage.outputTokens;
        const ahead = config.max_tokens ?? 0;
        const over = (limit: number, spent: number) => spent >= limit || (ahead > 0 && spent + ahead > limit);
        if (config.token_budget !== undefined && over(config.token_budget, used))
          throw budgetError(
            ctx,
            'config.token_budget',
            `token_budget ${config.token_budget} of the step`,
            used,
            config.token_budget,
            'raise token_budget',
          );
        // The run's and the tenant's budgets, from the stored model calls of every step.
        for (const budget of await checkTokenLimit(ctx))
          if (over(budget.limit, budget.used))
            throw budgetError(
              ctx,
              budget.scope === 'run' ? 'segment.token_budget' : 'tenant budget',
              budget.name,
              budget.used,
              budget.limit,
              budget.scope === 'run'
                ? "raise the segment's token_budget"
                : "raise the tenant's budget or wait for the next period",
            );

        guard(state.messages);
        const turn = state.turn + 1;
        const started = ctx.clock.now();
        let response: LlmResponse;
        const span = startModelCallSpan(ctx.trace, ctx.clock, {
          provider: config.provider,
          model: config.model ?? '',
          temperature: config.temperature,
          maxTokens: config.max_tokens,
          turn,
        });
        const stream = config.stream !== false;
        // A call of a retried attempt starts over: subscribers drop the stale partial text.
        if (stream && ctx.attempt > 1 && !resetSent) {
          resetSent = true;
          ctx.progress({ reset: true, turn });
        }
        try {
          response = await provider.chat({
            model: config.model ?? '',
            messages: state.messages,
            ...(toolDefs.length ? { tools: toolDefs } : {}),
            ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
            ...(config.max_tokens !== undefined ? { maxTokens: config.max_tokens } : {}),
            ...(config.output_schema ? { outputSchema: { schema: config.output_schema } } : {}),
            signal: ctx.signal,
            tenantId: ctx.tenantId,
            idempotencyKey: `${ctx.runId}:${ctx.stepId}:${turn}`,
            ...(stream
              ? {
                  onDelta: (delta: LlmDelta) => {
                    if (delta.type === 'text' && delta.text) ctx.progress({ text: delta.text, turn });
                  },
                }
              : {}),
          });
          if (stream) ctx.progress({ done: true, turn });
        } catch (error) {
          if (stream) ctx.progress({ done: true, turn });
          failSpan(span, ctx.clock, error);
          if (isLlmError(error)) throw inStep(ctx.stepId, config, error);
          if (isLlmteamError(error)) throw error;
          throw agentError(ctx, 'LLMT_E_LLM_BAD_RESPONSE', 'config.provider', (error as Error).message, true);
        }
        endModelCallSpan(span, ctx.clock, response);
        // Checked before the response is committed, so a bad answer never half-commits a turn.
        for (const call of response.toolCalls) {
          if (!tools.some((tool) => tool.action === call.name))
            throw agentError(
              ctx,
              'LLMT_E_AGENT_UNKNOWN_TOOL',
              'config.tools',
              `the model called "${call.name}", which is not one of its tools (${tools.map((t) => t.action).join(', ') || 'none'})`,
            );
          try {
            JSON.parse(call.arguments || '{}');
          } catch {
            throw agentError(
              ctx,
              'LLMT_E_AGENT_TOOL_ARGUMENTS',
              `tool "${call.name}"`,
              `the model sent arguments that are not JSON: ${call.arguments.slice(0, 200)}`,
              true,
            );
          }
        }
        state.turn = turn;
        state.usage = add(state.usage, response.usage);
        state.messages.push({
          role: 'assistant',
          content: response.content,
          ...(response.toolCalls.length ? { toolCalls: response.toolCalls } : {}),
        });
        if (response.toolCalls.length) {
          // Which calls need a person is decided once, with the response, and committed with it.
          const approvals: Record<string, PendingApproval> = {};
          for (const call of response.toolCalls) {
            const tool = tools.find((t) => t.action === call.name)!;
            if (
              await needsApproval(
                expressions,
                tool,
                JSON.parse(call.arguments || '{}'),
                ctx.tenantId,
                ctx.logger,
              )
            )
              approvals[call.id] = { interactionId: ctx.newId('int') };
          }
          state.pending = {
            calls: response.toolCalls,
            results: {},
            ...(Object.keys(approvals).length ? { approvals } : {}),
          };
        }
        const callEvent: AgentEvent = {
          type: 'model.call.completed',
          data: {
            turn,
            provider: config.provider,
            model: response.model ?? config.model,
            finish_reason: response.finishReason,
            usage: {
              input_tokens: response.usage.inputTokens,
              output_tokens: response.usage.outputTokens,
              cached_input_tokens: response.usage.cachedInputTokens ?? 0,
            },
            tool_calls: response.toolCalls.map((c) => c.name),
            duration_ms: ctx.clock.now() - started,
          },
        };
        await commit(state, [callEvent]);
      }
    },
  });
}
