import { isLlmteamError } from '../errors.js';
import { isTerminalRun } from '../lifecycle/run-state.js';
import type { AgentToolKind } from '../llm/agent-tool-kinds.js';
import type { LlmAgentTool } from '../llm/llm-agent-config.js';
import type { RunRecord } from '../store/types.js';

/** The keys of an `llm_agent` tool entry that delegates to a child segment (snake_case, as in segment JSON). */
export interface SegmentToolEntry {
  /** The child segment (a registered segment of the run's tenant); its run's input is the call's arguments. */
  segment_id: string;
  /** Pins the child segment to this version. @default the latest version when the call starts */
  version?: string;
}

const entryOf = (tool: LlmAgentTool) => tool as LlmAgentTool & Partial<SegmentToolEntry>;

/** What a child run that ended tells the model: its outputs, or why it did not complete. */
function resultOf(run: RunRecord) {
  if (run.status === 'completed') return { status: 'done' as const, result: run.outputs ?? {} };
  return {
    status: 'error' as const,
    error: `child run ${run.runId} of segment "${run.segmentId}" ${run.status}${run.error ? `: ${run.error.code} ${run.error.message}` : ''}`,
  };
}

/**
 * The `segment_id` tool kind of `llm_agent`: a supervisor agent delegates to a sub-agent
 * (any segment, e.g. one whose step is another `llm_agent`) as a tool. Each call starts a
 * child run of the segment with the call's arguments as input, idempotently (a crash starts
 * no second child for one call), waits for it durably without holding memory, and hands
 * the child's outputs (keyed by its terminal step ids) to the model as the tool result; a
 * child that fails or is cancelled is a failed tool call the model is told about. Cancel
 * and pause reach the children with the agent's run.
 *
 * @example
 * { "step_type": "llm_agent", "config": { "provider": "openai", "tools": [
 *   { "segment_id": "research", "name": "research", "description": "Researches a question",
 *     "parameters": { "type": "object", "required": ["question"] } } ] } }
 */
export const segmentToolKind: AgentToolKind = {
  key: 'segment_id',
  properties: {
    segment_id: { type: 'string', minLength: 1, description: 'A child segment the agent delegates to.' },
    version: { type: 'string', minLength: 1, description: 'Pins the child segment to this version.' },
  },
  defaultName: (tool) => String(entryOf(tool).segment_id),
  defaultDescription: (tool) =>
    `Delegates to the segment ${entryOf(tool).segment_id} and returns its outputs.`,
  references(tool) {
    const entry = entryOf(tool);
    return typeof entry.segment_id === 'string'
      ? [{ path: '.segment_id', segmentId: entry.segment_id, version: entry.version }]
      : [];
  },
  async call(ctx, tool, call) {
    const entry = entryOf(tool);
    let run = call.childRunId ? await ctx.children.get(call.childRunId) : undefined;
    if (!run) {
      try {
        run = await ctx.children.start({
          segmentId: String(entry.segment_id),
          version: entry.version,
          input: call.args,
          key: `${call.turn}:${call.callId}`,
        });
      } catch (error) {
        if (isLlmteamError(error) && error.code === 'LLMT_E_SEGMENT_NOT_FOUND')
          return { status: 'error', error: error.message };
        throw error;
      }
    }
    if (isTerminalRun(run.status)) return resultOf(run);
    return {
      status: 'delegated',
      childRunId: run.runId,
      segmentId: run.segmentId,
      version: run.segmentVersion,
    };
  },
};
