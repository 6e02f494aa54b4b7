import { ASSIGNMENT_STRATEGIES, type AssignmentStrategy, withSkills } from '../assignment/choose-member.js';
import { isLlmteamError } from '../errors.js';
import { isTerminalRun } from '../lifecycle/run-state.js';
import type { AgentToolKind, AgentToolRecords } from '../llm/agent-tool-kinds.js';
import type { LlmAgentTool } from '../llm/llm-agent-config.js';
import type { RunRecord } from '../store/types.js';
import { AgentPool, type PoolMember } from './agent-pool.js';

/** The keys of an `llm_agent` tool entry that delegates to one agent of a pool (snake_case, as in segment JSON). */
export interface PoolToolEntry {
  /** The agents of the pool, in turn order: segment ids, or members with skills. */
  pool: Array<string | PoolMember>;
  /** How the agent of each call is chosen. @default { "strategy": "round_robin" } */
  assignment?: { strategy: AssignmentStrategy; skills?: string[] };
  /** Names the pool's durable standing (shared by entries that name the same pool). @default the tool's name */
  pool_name?: string;
}

const entryOf = (tool: LlmAgentTool) => tool as LlmAgentTool & Partial<PoolToolEntry>;
const membersOf = (tool: LlmAgentTool): PoolMember[] =>
  (Array.isArray(entryOf(tool).pool) ? entryOf(tool).pool! : []).map((m) =>
    typeof m === 'string' ? { segment_id: m } : m,
  );

function resultOf(run: RunRecord) {
  if (run.status === 'completed') return { status: 'done' as const, result: run.outputs ?? {} };
  return {
    status: 'error' as const,
    error: `child run ${run.runId} of segment "${run.segmentId}" ${run.status}${run.error ? `: ${run.error.code} ${run.error.message}` : ''}`,
  };
}

/**
 * The `pool` tool kind of `llm_agent`: each call goes to one agent of a pool of agent
 * definitions (segments), chosen by the entry's `assignment` strategy with the same rule as
 * group requests to people (`round_robin`, `least_loaded` by unfinished runs, `capability`
 * by the members' declared skills, then least loaded). The chosen agent runs as a child run
 * like a `segment_id` tool; the choice is recorded once (`agent.assigned`) and the pool's
 * standing is durable (agent memory, namespace `pool:<name>`), so turns and loads go on
 * after a restart. Choices are coordinated through the store: engines that share it take
 * turns at the standing (see {@link AgentPool}); within one engine, choices of a pool are
 * also queued so they do not race each other.
 *
 * @example
 * { "pool": ["writer_a", { "segment_id": "writer_de", "skills": ["de"] }], "name": "write",
 *   "assignment": { "strategy": "least_loaded" } }
 */
export function createPoolToolKind(): AgentToolKind {
  const queues = new Map<string, Promise<unknown>>();
  const serial = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const next = (queues.get(key) ?? Promise.resolve()).then(fn, fn);
    const settled = next.catch(() => undefined);
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return next;
  };

  return {
    key: 'pool',
    properties: {
      pool: {
        type: 'array',
        minItems: 1,
        items: {
          anyOf: [
            { type: 'string', minLength: 1 },
            {
              type: 'object',
              required: ['segment_id'],
              additionalProperties: false,
              properties: {
                segment_id: { type: 'string', minLength: 1 },
                version: { type: 'string', minLength: 1 },
                skills: { type: 'array', items: { type: 'string', minLength: 1 } },
              },
            },
          ],
        },
        description: 'Agents (segments) one of which takes each call.',
      },
      assignment: {
        type: 'object',
        required: ['strategy'],
        additionalProperties: false,
        properties: {
          strategy: { enum: [...ASSIGNMENT_STRATEGIES] },
          skills: { type: 'array', items: { type: 'string', minLength: 1 } },
        },
      },
      pool_name: { type: 'string', minLength: 1 },
    },
    defaultName: (tool) => `pool_${membersOf(tool)[0]?.segment_id ?? 'agents'}`,
    defaultDescription: (tool) =>
      `Hands the task to one of the agents ${membersOf(tool)
        .map((m) => m.segment_id)
        .join(', ')} and returns its outputs.`,
    references: (tool) =>
      membersOf(tool).map((m, i) => ({
        path: typeof entryOf(tool).pool?.[i] === 'string' ? `.pool[${i}]` : `.pool[${i}].segment_id`,
        segmentId: m.segment_id,
        version: m.version,
      })),
    validate(tool) {
      const problems: Array<[string, string]> = [];
      const members = membersOf(tool);
      const seen = new Set<string>();
      members.forEach((m, i) => {
        if (seen.has(m.segment_id))
          problems.push([`.pool[${i}]`, `agent "${m.segment_id}" is in the pool twice; list each once`]);
        seen.add(m.segment_id);
      });
      const assignment = entryOf(tool).assignment;
      if (assignment?.strategy === 'capability') {
        const skills = assignment.skills ?? [];
        if (!skills.length)
          problems.push(['.assignment.skills', 'capability assignment needs the skills a call requires']);
        else if (!withSkills(members, skills).length)
          problems.push([
            '.assignment.skills',
            `no agent of the pool has all of ${skills.join(', ')}; declare the skills on a member or ask for fewer`,
          ]);
      }
      return problems;
    },
    async call(ctx, tool, call) {
      const entry = entryOf(tool);
      const members = membersOf(tool);
      const strategy = entry.assignment?.strategy ?? 'round_robin';
      const name = entry.pool_name ?? tool.action ?? tool.name ?? 'pool';
      let run = call.childRunId ? await ctx.children.get(call.childRunId) : undefined;
      let records: AgentToolRecords = {};
      if (!run) {
        try {
          run = await serial(`${ctx.tenantId}\u0000${name}`, async () => {
            const pool = new AgentPool(
              ctx.memory(`pool:${name}`),
              async (runId) => (await ctx.children.get(runId))?.status,
            );
            const choice = await pool.assign({
              members,
              strategy,
              skills: entry.assignment?.skills,
              key: call.idempotencyKey,
              parentRunId: ctx.runId,
            });
            if (!choice) throw new Error(`no agent of pool "${name}" fits`);
            let started: RunRecord;
            try {
              started = await ctx.children.start({
                segmentId: choice.member.segment_id,
                version: choice.member.version,
                input: call.args,
                key: `${call.turn}:${call.callId}`,
              });
            } catch (error) {
              // A refusal is final; any other failure may have started the child, so the
              // slot stays for the call's next attempt.
              if (isLlmteamError(error) && !error.retryable) await pool.release(call.idempotencyKey);
              throw error;
            }
            await pool.started(call.idempotencyKey, started.runId);
            records = {
              events: [
                {
                  type: 'agent.assigned',
                  data: {
                    turn: call.turn,
                    call_id: call.callId,
                    tool: tool.action ?? '',
                    pool: name,
                    strategy,
                    segment_id: started.segmentId,
                    child_run_id: started.runId,
                    load: choice.load,
                    candidates: choice.candidates,
                    position: choice.position,
                  },
                },
              ],
            };
            return started;
          });
        } catch (error) {
          if (isLlmteamError(error) && error.code === 'LLMT_E_SEGMENT_NOT_FOUND')
            return { status: 'error', error: error.message };
          throw error;
        }
      }
      if (isTerminalRun(run.status)) return { ...resultOf(run), ...records };
      return {
        status: 'delegated',
        childRunId: run.runId,
        segmentId: run.segmentId,
        version: run.segmentVersion,
        ...records,
      };
    },
  };
}
