import { isLlmteamError } from '../errors.js';
import { isTerminalRun } from '../lifecycle/run-state.js';
import { agentInput } from '../llm/agent-error.js';
import type { AgentToolKind, AgentToolRecords } from '../llm/agent-tool-kinds.js';
import type { LlmAgentTool } from '../llm/llm-agent-config.js';

/** The keys of an `llm_agent` tool entry that hands the conversation off to another agent (snake_case, as in segment JSON). */
export interface HandoffToolEntry {
  /** The segment of the agent taken over (a registered segment of the run's tenant). */
  handoff: string;
  /** Pins the segment to this version. @default the latest version when the handoff starts */
  version?: string;
  /** Keys of the step's input carried to the other agent (absent ones are left out). @default [] */
  context?: string[];
  /** Keys of the agent's memory (`config.memory.namespace`, default the step id) carried along. @default [] */
  memory?: string[];
  /** Fixed metadata sent with every handoff of this entry; the model's arguments are added to it. @default {} */
  metadata?: Record<string, unknown>;
}

/** The input of the run that takes over: what the handing agent passes on. */
export interface HandoffInput {
  /** The carried keys of the step's input and of its memory. */
  context: Record<string, unknown>;
  /** The entry's `metadata` with the model's arguments (e.g. a `reason`). */
  metadata: Record<string, unknown>;
  /** Where the handoff came from. */
  from: { run_id: string; step_id: string; agent: string };
}

const entryOf = (tool: LlmAgentTool) => tool as LlmAgentTool & Partial<HandoffToolEntry>;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The `handoff` tool kind of `llm_agent`: the agent hands the conversation off to another
 * agent (the segment named by `handoff`), carrying selected keys of its input and memory
 * plus metadata, and ends with the other agent's outputs as its own `output`, without
 * another model call. The other agent runs as a child run started idempotently (a crash
 * starts it once), in the commit that also appends `agent.handoff` and the audit entry
 * `agent.handoff`; the agent waits for it durably. A handoff whose run fails or is
 * cancelled is a failed tool call the model is told about.
 *
 * @example
 * { "handoff": "billing_desk", "name": "transfer_to_billing", "context": ["customer"],
 *   "memory": ["findings"], "metadata": { "queue": "billing" },
 *   "parameters": { "type": "object", "required": ["reason"] } }
 */
export const handoffToolKind: AgentToolKind = {
  key: 'handoff',
  properties: {
    handoff: { type: 'string', minLength: 1, description: 'The segment of the agent that takes over.' },
    version: { type: 'string', minLength: 1, description: 'Pins the segment to this version.' },
    context: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
    memory: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
    metadata: { type: 'object' },
  },
  defaultName: (tool) => `transfer_to_${entryOf(tool).handoff}`,
  defaultDescription: (tool) =>
    `Hands the conversation off to the agent ${entryOf(tool).handoff}, which answers instead of you.`,
  references(tool) {
    const entry = entryOf(tool);
    return typeof entry.handoff === 'string'
      ? [{ path: '.handoff', segmentId: entry.handoff, version: entry.version }]
      : [];
  },
  async call(ctx, tool, call) {
    const entry = entryOf(tool);
    const segmentId = String(entry.handoff);
    let run = call.childRunId ? await ctx.children.get(call.childRunId) : undefined;
    let keys: string[] = [];
    let metadata: Record<string, unknown> = {};
    if (!run) {
      const agent = ctx.config.memory?.namespace ?? ctx.stepId;
      const context: Record<string, unknown> = {};
      const given = agentInput(ctx);
      const input = isObject(given) ? given : {};
      for (const key of entry.context ?? []) if (input[key] !== undefined) context[key] = input[key];
      const memory = ctx.memory(agent);
      for (const key of entry.memory ?? []) {
        const value = await memory.get(key);
        if (value !== undefined) context[key] = value;
      }
      keys = Object.keys(context);
      metadata = { ...(entry.metadata ?? {}), ...(isObject(call.args) ? call.args : {}) };
      const handoff: HandoffInput = {
        context,
        metadata,
        from: { run_id: ctx.runId, step_id: ctx.stepId, agent },
      };
      try {
        run = await ctx.children.start({
          segmentId,
          version: entry.version,
          input: handoff,
          key: `${call.turn}:${call.callId}`,
        });
      } catch (error) {
        if (isLlmteamError(error) && error.code === 'LLMT_E_SEGMENT_NOT_FOUND')
          return { status: 'error', error: error.message };
        throw error;
      }
    }
    const record = { segment_id: run.segmentId, version: run.segmentVersion, keys, metadata };
    // Recorded once: with the delegation, or with the result when the delegation was never recorded.
    const records: AgentToolRecords = call.childRunId
      ? {}
      : {
          events: [
            {
              type: 'agent.handoff',
              data: {
                turn: call.turn,
                call_id: call.callId,
                tool: tool.action ?? '',
                child_run_id: run.runId,
                ...record,
              },
            },
          ],
          audit: [
            {
              action: 'agent.handoff',
              actor: `agent:${ctx.stepId}`,
              target: run.runId,
              data: { step_id: ctx.stepId, ...record },
            },
          ],
        };
    if (isTerminalRun(run.status)) {
      if (run.status === 'completed')
        return { status: 'done', result: run.outputs ?? {}, final: true, ...records };
      return {
        status: 'error',
        error: `the handoff to "${segmentId}" (run ${run.runId}) ${run.status}${run.error ? `: ${run.error.code} ${run.error.message}` : ''}`,
        ...records,
      };
    }
    return {
      status: 'delegated',
      childRunId: run.runId,
      segmentId: run.segmentId,
      version: run.segmentVersion,
      ...records,
    };
  },
};
