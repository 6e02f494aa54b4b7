import { describe, expect, test } from 'vitest';
import {
  AgentMemory,
  AgentPool,
  ManualClock,
  MemoryStore,
  type PoolMember,
  type RunStatus,
} from '../index.js';

const members: PoolMember[] = [
  { segment_id: 'writer_a', skills: ['en'] },
  { segment_id: 'writer_b', skills: ['en', 'de'] },
  { segment_id: 'writer_c', skills: ['de'] },
];

/** A small deterministic random source (LCG), so the test is the same every time. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/** A pool over a real store; `restart()` gives the pool of a fresh process on the same store. */
function poolOn(store: MemoryStore, runs: Map<string, RunStatus>) {
  const clock = new ManualClock(Date.parse('2026-05-01T08:00:00Z'));
  const make = () =>
    new AgentPool(new AgentMemory(store, clock).agent('default', 'pool:write'), async (id) => runs.get(id));
  return { pool: make(), restart: make };
}

describe('agent pools', () => {
  test('round-robin over 1,000 choices: strictly in turn, counts within one, across a restart', async () => {
    const store = new MemoryStore();
    const runs = new Map<string, RunStatus>();
    let { pool, restart } = poolOn(store, runs);
    const picks: string[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i === 500) pool = restart();
      const choice = (await pool.choose(members, 'round_robin'))!;
      runs.set(`run-${i}`, 'running');
      await pool.record(choice.member.segment_id, `run-${i}`);
      picks.push(choice.member.segment_id);
    }
    const counts = members.map((m) => picks.filter((p) => p === m.segment_id).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    for (const [i, p] of picks.entries()) expect(p, `choice ${i}`).toBe(members[i % 3]!.segment_id);
  }, 60_000);

  test('least-loaded over 1,000 choices never picks a busier agent while a less busy one is free', async () => {
    const store = new MemoryStore();
    const runs = new Map<string, RunStatus>();
    let { pool, restart } = poolOn(store, runs);
    const random = seeded(11);
    const owner = new Map<string, string>();
    const pace: Record<string, number> = { writer_a: 0.5, writer_b: 0.2, writer_c: 0.05 };
    const given: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      if (i % 250 === 0) pool = restart();
      // Agents finish some of their runs, unevenly, between new calls.
      for (const [id, status] of runs)
        if (status === 'running' && random() < pace[owner.get(id)!]!) runs.set(id, 'completed');
      const open = (m: string) =>
        [...runs].filter(([id, status]) => status === 'running' && owner.get(id) === m).length;
      const least = Math.min(...members.map((m) => open(m.segment_id)));
      const choice = (await pool.choose(members, 'least_loaded'))!;
      expect(open(choice.member.segment_id), `choice ${i}`).toBe(least);
      expect(choice.load).toBe(least);
      runs.set(`run-${i}`, 'running');
      owner.set(`run-${i}`, choice.member.segment_id);
      await pool.record(choice.member.segment_id, `run-${i}`);
      given[choice.member.segment_id] = (given[choice.member.segment_id] ?? 0) + 1;
    }
    // The fast agent took more calls than the slow one: the load decided, not the turn.
    expect(given.writer_a).toBeGreaterThan(given.writer_c!);
    const state = await pool.state();
    expect(Object.values(state.started).reduce((a, b) => a + b)).toBe(1000);
  }, 60_000);

  test('capability: only agents with every skill are chosen, the less loaded first; none fitting is undefined', async () => {
    const store = new MemoryStore();
    const runs = new Map<string, RunStatus>();
    const { pool } = poolOn(store, runs);
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) {
      const choice = (await pool.choose(members, 'capability', ['de']))!;
      expect(choice.candidates).toBe(2);
      runs.set(`run-${i}`, 'running');
      await pool.record(choice.member.segment_id, `run-${i}`);
      picks.push(choice.member.segment_id);
    }
    expect(picks).toEqual(['writer_b', 'writer_c', 'writer_b', 'writer_c', 'writer_b', 'writer_c']);
    expect(await pool.choose(members, 'capability', ['fr'])).toBeUndefined();
  });

  test('recording the same run twice (a re-run after a crash) counts it once', async () => {
    const store = new MemoryStore();
    const runs = new Map<string, RunStatus>([['run-1', 'running']]);
    const { pool } = poolOn(store, runs);
    await pool.record('writer_a', 'run-1');
    await pool.record('writer_a', 'run-1');
    expect(await pool.state()).toEqual({
      last: 'writer_a',
      open: { writer_a: ['run-1'] },
      started: { writer_a: 1 },
    });
    runs.set('run-1', 'completed');
    expect((await pool.state()).open).toEqual({ writer_a: [] });
  });
});
