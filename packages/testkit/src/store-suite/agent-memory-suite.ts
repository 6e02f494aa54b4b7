import type { AgentMemoryStore, MemoryEntry } from '@llmteam/core';
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

/**
 * Conformance of a store's `memory` role (agent memory entries): upsert by (tenant, agent,
 * key), reads, listing in key order, deletes and access times, isolated by tenant and by
 * agent. Run it for a store whose `memory` is set; the suite fails for one without it.
 */
export function agentMemoryConformanceSuite(options: StoreConformanceOptions): void {
  const { test, expect, describe } = options;
  const { withStore } = storeSuiteSupport(options);
  const roleOf = (memory: AgentMemoryStore | undefined): AgentMemoryStore => {
    expect(memory === undefined, `${options.name} has a memory role`).toBe(false);
    return memory!;
  };

  describe(`${options.name} agent memory`, () => {
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
