import {
  type AgentMemoryStore,
  AgentPool,
  createEngine,
  ManualClock,
  type MemoryEntry,
  type PoolChoice,
  type PoolMember,
  type Store,
} from '@llmteam/core';
import { uniqueId } from '../store-fixtures.js';
import { type StoreConformanceOptions, storeSuiteSupport } from './suite-support.js';

const entry = (tenantId: string, agentId: string, key: string, value: unknown, at: string): MemoryEntry => ({
  tenantId,
  agentId,
  key,
  value,
  bytes: Buffer.byteLength(JSON.stringify(value)),
  createdAt: at,
  updatedAt: at,
  lastAccessAt: at,
  expiresAt: '2030-01-01T00:00:00.000Z',
});

const POOL: PoolMember[] = [
  { segment_id: 'writer_a' },
  { segment_id: 'writer_b' },
  { segment_id: 'writer_c' },
];

/**
 * Conformance of a store's `memory` role (agent memory entries): upsert by (tenant, agent,
 * key), reads, listing in key order, deletes and access times, isolated by tenant and by
 * agent, and compare-and-set (`swapMemory`), proven by two engines choosing from one agent
 * pool at once (on a peer from `createPeer` when given, else on the same instance). Run it
 * for a store whose `memory` is set; the suite fails for one without it.
 */
export function agentMemoryConformanceSuite(options: StoreConformanceOptions): void {
  const { test, expect, describe } = options;
  const { withStore } = storeSuiteSupport(options);
  const roleOf = (memory: AgentMemoryStore | undefined): AgentMemoryStore => {
    expect(memory === undefined, `${options.name} has a memory role`).toBe(false);
    return memory!;
  };

  /** Two engines (on `store` and a peer over the same data), each with the pool's standing, and a count of lost swaps. */
  async function withTwoEngines(
    fn: (pools: [AgentPool, AgentPool], lost: () => number) => Promise<void>,
  ): Promise<void> {
    await withStore(async (store) => {
      const peer = options.createPeer ? await options.createPeer(store) : store;
      if (peer !== store) await peer.init();
      let lost = 0;
      const counted = (s: Store): Store => {
        const role = roleOf(s.memory);
        const swap = role.swapMemory?.bind(role);
        expect(swap === undefined, `${options.name} memory has swapMemory`).toBe(false);
        const memory: AgentMemoryStore = Object.create(role);
        memory.swapMemory = async (entry, expected) => {
          const won = await swap!(entry, expected);
          if (!won) lost++;
          return won;
        };
        return Object.assign(Object.create(s) as Store, { memory });
      };
      const t = uniqueId('t');
      const clock = new ManualClock(Date.parse('2026-05-01T08:00:00Z'));
      // No run ends during the test: every choice adds one to its agent's load.
      const pools = [store, peer].map(
        (s) =>
          new AgentPool(
            createEngine({ store: counted(s), clock }).memory.agent(t, 'pool:write'),
            async () => 'running',
          ),
      ) as [AgentPool, AgentPool];
      try {
        await fn(pools, () => lost);
      } finally {
        if (peer !== store) await peer.close();
      }
    });
  }

  /** `callers` calls per engine, the two engines' callers all at once; the choices in the pool's order. */
  async function chooseAtOnce(
    pools: [AgentPool, AgentPool],
    strategy: 'round_robin' | 'least_loaded',
    callers: number,
    calls: number,
  ): Promise<PoolChoice[]> {
    const choices: PoolChoice[] = [];
    await Promise.all(
      pools.flatMap((pool, e) =>
        Array.from({ length: callers }, async (_, c) => {
          for (let i = 0; i < calls; i++) {
            const key = `e${e}:c${c}:${i}`;
            const choice = await pool.assign({ members: POOL, strategy, key });
            expect(choice === undefined, key).toBe(false);
            await pool.started(key, `run-${key}`);
            choices.push(choice!);
          }
        }),
      ),
    );
    return choices.sort((a, b) => a.position - b.position);
  }

  describe(`${options.name} agent memory`, () => {
    test('swaps an entry only at the revision it expects', () =>
      withStore(async (store) => {
        const memory = roleOf(store.memory);
        expect(memory.swapMemory === undefined, `${options.name} memory has swapMemory`).toBe(false);
        const t = uniqueId('t');
        const t0 = '2026-01-01T00:00:00.000Z';
        const at = (revision: number, value: unknown) => ({
          ...entry(t, 'pool', 'state', value, t0),
          revision,
        });
        expect(await memory.swapMemory!(at(1, 'first'), 0)).toBe(true);
        expect(await memory.swapMemory!(at(1, 'lost the race'), 0)).toBe(false);
        expect(await memory.swapMemory!(at(3, 'from the future'), 2)).toBe(false);
        expect(await memory.swapMemory!(at(2, 'second'), 1)).toBe(true);
        expect(await memory.getMemory(t, 'pool', 'state')).toEqual(at(2, 'second'));
        // Absent is revision 0, and a revision never matches an absent entry.
        expect(await memory.swapMemory!({ ...at(5, 'x'), key: 'other' }, 4)).toBe(false);
        expect(await memory.getMemory(t, 'pool', 'other')).toBeUndefined();
        await memory.putMemory({ ...entry(t, 'pool', 'plain', 1, t0) });
        expect(await memory.swapMemory!({ ...at(1, 2), key: 'plain' }, 0)).toBe(true);
        expect((await memory.getMemory(t, 'pool', 'plain'))?.value).toBe(2);
      }));

    test(
      'two engines choosing round-robin at once: strictly in turn, never one agent twice in a row',
      () =>
        withTwoEngines(async (pools, lost) => {
          const choices = await chooseAtOnce(pools, 'round_robin', 3, 20);
          expect(choices.map((c) => c.position)).toEqual(choices.map((_, i) => i + 1));
          expect(
            choices.map((c) => c.member.segment_id),
            'the pool’s choices in order',
          ).toEqual(choices.map((_, i) => POOL[i % 3]!.segment_id));
          expect(lost(), 'the engines raced for the standing').toBeGreaterThan(0);
        }),
      60_000,
    );

    test(
      'two engines choosing least-loaded at once: each choice takes an agent with the least open work',
      () =>
        withTwoEngines(async (pools) => {
          const choices = await chooseAtOnce(pools, 'least_loaded', 3, 20);
          expect(choices.map((c) => c.position)).toEqual(choices.map((_, i) => i + 1));
          // No run ends here: the n-th choice finds the agents at floor(n / 3) runs or one more.
          expect(choices.map((c) => c.load)).toEqual(choices.map((_, i) => Math.floor(i / 3)));
          const counts = POOL.map((m) => choices.filter((c) => c.member.segment_id === m.segment_id).length);
          expect(counts).toEqual([40, 40, 40]);
        }),
      60_000,
    );

    test('stores, replaces, lists in key order and deletes entries', () =>
      withStore(async (store) => {
        const memory = roleOf(store.memory);
        const t = uniqueId('t');
        const t0 = '2026-01-01T00:00:00.000Z';
        await memory.putMemory(entry(t, 'planner', 'b', { plan: [1, 2] }, t0));
        await memory.putMemory(entry(t, 'planner', 'a', 'first', t0));
        await memory.putMemory(entry(t, 'planner', 'a', { text: 'ünïcode' }, '2026-01-01T00:00:01.000Z'));
        expect(await memory.getMemory(t, 'planner', 'a')).toEqual(
          entry(t, 'planner', 'a', { text: 'ünïcode' }, '2026-01-01T00:00:01.000Z'),
        );
        expect((await memory.listMemory(t, 'planner')).map((e) => e.key)).toEqual(['a', 'b']);
        expect(await memory.deleteMemory(t, 'planner', ['a', 'missing'])).toBe(1);
        expect(await memory.getMemory(t, 'planner', 'a')).toBeUndefined();
        expect((await memory.listMemory(t, 'planner')).map((e) => e.key)).toEqual(['b']);
      }));

    test('keeps every field of an entry, the writer key of an idempotent write too', () =>
      withStore(async (store) => {
        const memory = roleOf(store.memory);
        const t = uniqueId('t');
        const written = {
          ...entry(t, 'planner', 'k', [1, 'two'], '2026-01-01T00:00:00.000Z'),
          writtenBy: 'run:step:1:k',
        };
        await memory.putMemory(written);
        expect(await memory.getMemory(t, 'planner', 'k')).toEqual(written);
        expect(await memory.listMemory(t, 'planner')).toEqual([written]);
      }));

    test('records access times, never moving them back', () =>
      withStore(async (store) => {
        const memory = roleOf(store.memory);
        const t = uniqueId('t');
        await memory.putMemory(entry(t, 'a1', 'k', 1, '2026-01-01T00:00:00.000Z'));
        await memory.touchMemory(t, 'a1', ['k', 'absent'], '2026-01-01T00:05:00.000Z');
        await memory.touchMemory(t, 'a1', ['k'], '2026-01-01T00:01:00.000Z');
        expect((await memory.getMemory(t, 'a1', 'k'))?.lastAccessAt).toBe('2026-01-01T00:05:00.000Z');
        expect(await memory.getMemory(t, 'a1', 'absent')).toBeUndefined();
      }));

    test('keeps tenants and agents apart', () =>
      withStore(async (store) => {
        const memory = roleOf(store.memory);
        const [t1, t2] = [uniqueId('t'), uniqueId('t')];
        const at = '2026-01-01T00:00:00.000Z';
        await memory.putMemory(entry(t1, 'agent', 'secret', 'of t1', at));
        await memory.putMemory(entry(t2, 'agent', 'secret', 'of t2', at));
        await memory.putMemory(entry(t1, 'other', 'secret', 'of other', at));
        expect((await memory.getMemory(t1, 'agent', 'secret'))?.value).toBe('of t1');
        expect((await memory.getMemory(t2, 'agent', 'secret'))?.value).toBe('of t2');
        expect(await memory.listMemory(t2, 'other')).toEqual([]);
        expect(await memory.deleteMemory(t2, 'agent', ['secret'])).toBe(1);
        expect((await memory.getMemory(t1, 'agent', 'secret'))?.value).toBe('of t1');
        expect((await memory.getMemory(t1, 'other', 'secret'))?.value).toBe('of other');
      }));
  });
}
