import {
  type AssignmentStrategy,
  chooseMember,
  type Standing,
  withSkills,
} from '../assignment/choose-member.js';
import { isTerminalRun } from '../lifecycle/run-state.js';
import type { AgentMemoryScope } from '../memory/agent-memory.js';
import type { RunStatus } from '../store/types.js';

/** One agent of a pool: a segment (usually one `llm_agent` step) and what it can do. */
export interface PoolMember {
  segment_id: string;
  /** Pins the segment to this version. @default the latest version when a call starts */
  version?: string;
  /** Skills the agent declares, for `capability`. @default [] */
  skills?: string[];
}

/** What a pool remembers between choices (kept in agent memory, namespace `pool:<name>`). */
export interface PoolState {
  /** The member chosen last: where the next turn starts. */
  last?: string;
  /** Unfinished runs per member (segment id), pruned as they end: the load. */
  open: Record<string, string[]>;
  /** Runs started per member, in all. */
  started: Record<string, number>;
}

/** The record of one choice, as the `agent.assigned` event carries it. */
export interface PoolChoice {
  member: PoolMember;
  /** Unfinished runs the member had when chosen. */
  load: number;
  /** Members that could be chosen (after the skill filter). */
  candidates: number;
}

const STATE_KEY = 'state';

/**
 * The durable standing of one agent pool in one tenant: which member is next in turn and
 * how many unfinished runs each has. The state lives in agent memory (namespace
 * `pool:<name>`, no TTL), so a restarted engine goes on where the last one stopped; a
 * run's end shows as soon as the pool next looks at it. Choices in one process are
 * serialised by the caller; across processes that share a store, two choices made at the
 * same instant may see the same standing.
 */
export class AgentPool {
  constructor(
    private readonly memory: AgentMemoryScope,
    private readonly statusOf: (runId: string) => Promise<RunStatus | undefined>,
  ) {}

  /** The state with ended runs pruned. */
  async state(): Promise<PoolState> {
    const stored = (await this.memory.get<PoolState>(STATE_KEY)) ?? { open: {}, started: {} };
    const open: Record<string, string[]> = {};
    for (const [member, runs] of Object.entries(stored.open)) {
      const live: string[] = [];
      for (const runId of runs) {
        const status = await this.statusOf(runId);
        if (status && !isTerminalRun(status)) live.push(runId);
      }
      open[member] = live;
    }
    return { ...stored, open };
  }

  /** Chooses a member by `strategy` among those with every one of `skills`; undefined when none fits. */
  async choose(
    members: readonly PoolMember[],
    strategy: AssignmentStrategy,
    skills: readonly string[] = [],
  ): Promise<PoolChoice | undefined> {
    const state = await this.state();
    const fit = withSkills([...members], strategy === 'capability' ? skills : []);
    const standings: Standing[] = fit.map((m) => ({
      subject: m.segment_id,
      open: state.open[m.segment_id]?.length ?? 0,
    }));
    const chosen = chooseMember(strategy, standings, state.last);
    if (!chosen) return undefined;
    return {
      member: fit.find((m) => m.segment_id === chosen.subject)!,
      load: chosen.open,
      candidates: fit.length,
    };
  }

  /** Records that `runId` was started for `member` (idempotent by run id). */
  async record(member: string, runId: string): Promise<void> {
    const state = await this.state();
    const runs = state.open[member] ?? [];
    if (runs.includes(runId)) return;
    state.open[member] = [...runs, runId];
    state.started[member] = (state.started[member] ?? 0) + 1;
    state.last = member;
    await this.memory.set(STATE_KEY, state, { ttl: 0 });
  }
}
