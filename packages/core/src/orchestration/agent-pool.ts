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

/** One call given to a member, and the run it started. */
export interface PoolSlot {
  /** The key of the call (e.g. a tool call's `runId:stepId:turn:callId`): one slot per call. */
  key: string;
  /**
   * The run that made the call: the slot is kept as long as that run lives, so the call
   * keeps its member should it run again. Without it, the slot goes when the call's run ends.
   */
  parent?: string;
  /** The run started for the call, once it is. */
  run?: string;
  /** Set once the call's run has ended: the slot no longer counts as load. */
  ended?: true;
  /** The choice as it was made (so a call that runs again reports the same). */
  load: number;
  candidates: number;
  position: number;
}

/** What a pool remembers between choices (kept in agent memory, namespace `pool:<name>`). */
export interface PoolState {
  /** The member chosen last: where the next turn starts. */
  last?: string;
  /** Calls per member (segment id); the slots not `ended` are the member's load. */
  calls: Record<string, PoolSlot[]>;
  /** Calls given per member, in all. */
  started: Record<string, number>;
}

/** The record of one choice, as the `agent.assigned` event carries it. */
export interface PoolChoice {
  member: PoolMember;
  /** Unfinished runs the member had when chosen. */
  load: number;
  /** Members that could be chosen (after the skill filter). */
  candidates: number;
  /** Where the choice stands among all of the pool's choices, from 1, gapless. */
  position: number;
}

/** One request for a member: what {@link AgentPool.assign} chooses among, and for which call. */
export interface PoolAssignment {
  members: readonly PoolMember[];
  strategy: AssignmentStrategy;
  /** The skills a member needs for `capability`. @default [] */
  skills?: readonly string[];
  /** The call's key: a second request with the same key gets the member of the first. */
  key: string;
  /** The run making the call (see {@link PoolSlot.parent}). */
  parentRunId?: string;
}

const STATE_KEY = 'state';
const empty = (): PoolState => ({ calls: {}, started: {} });
const loadOf = (slots: readonly PoolSlot[] | undefined) => slots?.filter((s) => !s.ended).length ?? 0;

/**
 * The durable standing of one agent pool in one tenant: which member is next in turn and
 * how many unfinished calls each has. The state lives in agent memory (namespace
 * `pool:<name>`, no TTL), so a restarted engine goes on where the last one stopped; a
 * run's end shows as soon as the pool next looks at it. A choice and the standing it
 * leaves are one compare-and-set of that entry (`AgentMemoryScope.update`), tried again
 * on a conflict: engines that share a store and choose at the same instant take turns,
 * so round-robin stays in order and least-loaded sees every choice made before its own.
 * The call's slot is taken before its child run starts, so a crash in between gives the
 * call the same member when it runs again.
 */
export class AgentPool {
  constructor(
    private readonly memory: AgentMemoryScope,
    private readonly statusOf: (runId: string) => Promise<RunStatus | undefined>,
  ) {}

  /** The state with ended work pruned. */
  async state(): Promise<PoolState> {
    return this.pruned((await this.memory.get<PoolState>(STATE_KEY)) ?? empty());
  }

  /**
   * Chooses a member for the call `request.key` and takes its slot, in one atomic update of
   * the standing; the member the call was given before, if any. Undefined when no member
   * fits.
   */
  async assign(request: PoolAssignment): Promise<PoolChoice | undefined> {
    let choice: PoolChoice | undefined;
    await this.memory.update<PoolState>(
      STATE_KEY,
      async (stored) => {
        choice = undefined;
        const earlier = this.find(stored ?? empty(), request.key);
        const given = earlier && request.members.find((m) => m.segment_id === earlier.member);
        if (earlier && given) {
          const { load, candidates, position } = earlier.slot;
          choice = { member: given, load, candidates, position };
          return undefined;
        }
        const state = await this.pruned(stored ?? empty());
        const fit = withSkills(
          [...request.members],
          request.strategy === 'capability' ? (request.skills ?? []) : [],
        );
        const standings: Standing[] = fit.map((m) => ({
          subject: m.segment_id,
          open: loadOf(state.calls[m.segment_id]),
        }));
        const chosen = chooseMember(request.strategy, standings, state.last);
        if (!chosen) return undefined;
        const id = chosen.subject;
        state.started[id] = (state.started[id] ?? 0) + 1;
        state.last = id;
        choice = {
          member: fit.find((m) => m.segment_id === id)!,
          load: chosen.open,
          candidates: fit.length,
          position: Object.values(state.started).reduce((a, b) => a + b, 0),
        };
        const { load, candidates, position } = choice;
        const slot: PoolSlot = {
          key: request.key,
          ...(request.parentRunId ? { parent: request.parentRunId } : {}),
          load,
          candidates,
          position,
        };
        state.calls[id] = [...(state.calls[id] ?? []), slot];
        return state;
      },
      { ttl: 0 },
    );
    return choice;
  }

  /** Records the run started for the call `key` (idempotent). */
  async started(key: string, runId: string): Promise<void> {
    await this.memory.update<PoolState>(
      STATE_KEY,
      (state) => {
        const slot = state && this.find(state, key)?.slot;
        if (!slot || slot.run === runId) return undefined;
        slot.run = runId;
        return state;
      },
      { ttl: 0 },
    );
  }

  /** Gives back the slot of a call whose run could not start; its member's count stays. */
  async release(key: string): Promise<void> {
    await this.memory.update<PoolState>(
      STATE_KEY,
      (state) => {
        if (!state || !this.find(state, key)) return undefined;
        for (const [member, slots] of Object.entries(state.calls))
          state.calls[member] = slots.filter((s) => s.key !== key);
        return state;
      },
      { ttl: 0 },
    );
  }

  private find(state: PoolState, key: string): { member: string; slot: PoolSlot } | undefined {
    for (const [member, slots] of Object.entries(state.calls)) {
      const slot = slots.find((s) => s.key === key);
      if (slot) return { member, slot };
    }
    return undefined;
  }

  /** The state with slots of ended calling runs dropped and calls whose run ended marked. */
  private async pruned(stored: PoolState): Promise<PoolState> {
    const live = async (runId: string) => {
      const status = await this.statusOf(runId);
      return status !== undefined && !isTerminalRun(status);
    };
    const calls: Record<string, PoolSlot[]> = {};
    for (const [member, slots] of Object.entries(stored.calls)) {
      const kept: PoolSlot[] = [];
      for (const slot of slots) {
        if (slot.parent !== undefined && !(await live(slot.parent))) continue;
        if (!slot.ended && slot.run !== undefined && !(await live(slot.run))) {
          if (slot.parent === undefined) continue;
          kept.push({ ...slot, ended: true });
        } else kept.push(slot);
      }
      calls[member] = kept;
    }
    return { ...stored, calls };
  }
}
