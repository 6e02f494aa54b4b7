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
      const choice = (await pool.assign({ members, strategy: 'round_robin', key: `call-${i}` }))!;
      expect(choice.position).toBe(i + 1);
      runs.set(`run-${i}`, 'running');
      // Runs end a while later: round-robin goes on in turn whatever the load.
      if (i >= 10) runs.set(`run-${i - 10}`, 'completed');
      await pool.started(`call-${i}`, `run-${i}`);
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
      const choice = (await pool.assign({ members, strategy: 'least_loaded', key: `call-${i}` }))!;
      expect(open(choice.member.segment_id), `choice ${i}`).toBe(least);
      expect(choice.load).toBe(least);
      runs.set(`run-${i}`, 'running');
      owner.set(`run-${i}`, choice.member.segment_id);
      await pool.started(`call-${i}`, `run-${i}`);
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
      const choice = (await pool.assign({
        members,
        strategy: 'capability',
        skills: ['de'],
        key: `call-${i}`,
      }))!;
      expect(choice.candidates).toBe(2);
      runs.set(`run-${i}`, 'running');
      await pool.started(`call-${i}`, `run-${i}`);
      picks.push(choice.member.segment_id);
    }
    expect(picks).toEqual(['writer_b', 'writer_c', 'writer_b', 'writer_c', 'writer_b', 'writer_c']);
    expect(
      await pool.assign({ members, strategy: 'capability', skills: ['fr'], key: 'call-fr' }),
    ).toBeUndefined();
  });

  test('a call asked for twice (a re-run after a crash) keeps its first member and counts once', async () => {
    const store = new MemoryStore();
    const runs = new Map<string, RunStatus>([['parent', 'running']]);
    const { pool, restart } = poolOn(store, runs);
    const first = (await pool.assign({
      members,
      strategy: 'round_robin',
      key: 'c1',
      parentRunId: 'parent',
    }))!;
    // The engine died before the child started: the call's slot is still the first member's.
    const again = (await restart().assign({
      members,
      strategy: 'round_robin',
      key: 'c1',
      parentRunId: 'parent',
    }))!;
    expect(again).toEqual(first);
    runs.set('run-1', 'running');
    await pool.started('c1', 'run-1');
    await pool.started('c1', 'run-1');
    const slot = { key: 'c1', parent: 'parent', run: 'run-1', load: 0, candidates: 3, position: 1 };
    expect(await pool.state()).toEqual({
      last: 'writer_a',
      calls: { writer_a: [slot] },
      started: { writer_a: 1 },
    });
    // The child ended, then the caller crashed before it heard: the call still has its member.
    runs.set('run-1', 'completed');
    expect((await pool.state()).calls).toEqual({ writer_a: [{ ...slot, ended: true }] });
    expect(
      await restart().assign({ members, strategy: 'round_robin', key: 'c1', parentRunId: 'parent' }),
    ).toEqual(first);
    runs.set('parent', 'completed');
    expect((await pool.state()).calls).toEqual({ writer_a: [] });
  });

  test('a call waiting for its child counts as load as long as the calling run lives', async () => {
    const store = new MemoryStore();
    const runs = new Map<string, RunStatus>([['parent', 'running']]);
    const { pool } = poolOn(store, runs);
    await pool.assign({ members, strategy: 'least_loaded', key: 'c1', parentRunId: 'parent' });
    const next = (await pool.assign({
      members,
      strategy: 'least_loaded',
      key: 'c2',
      parentRunId: 'parent',
    }))!;
    expect([next.member.segment_id, next.load]).toEqual(['writer_b', 0]);
    runs.set('parent', 'cancelled');
    expect(Object.values((await pool.state()).calls).flat()).toEqual([]);
  });
});
