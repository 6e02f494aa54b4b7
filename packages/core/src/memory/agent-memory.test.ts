import { describe, expect, test } from 'vitest';
// Relative: core does not depend on testkit (testkit depends on core).
import { agentMemoryConformanceSuite } from '../../../testkit/src/store-suite.js';
import { AgentMemory, createEngine, defineStepType, ManualClock, MemoryStore, type Store } from '../index.js';

agentMemoryConformanceSuite({
  name: 'MemoryStore',
  create: async () => new MemoryStore(),
  test,
  expect,
  describe,
});

const start = Date.parse('2026-06-01T00:00:00Z');

describe('agent memory', () => {
  test('entries expire after their TTL (ManualClock), counted as expirations', async () => {
    const clock = new ManualClock(start);
    const memory = new AgentMemory(new MemoryStore(), clock, { ttl: 'PT1H', cacheTtlMs: 0 });
    const agent = memory.agent('acme', 'planner');
    await agent.set('plan', { steps: 3 });
    await agent.set('note', 'short', { ttl: 60 });
    clock.advance(59_000);
    expect(await agent.get('note')).toBe('short');
    clock.advance(1_000);
    expect(await agent.get('note')).toBeUndefined();
    expect(await agent.get('plan')).toEqual({ steps: 3 });
    clock.advance(3600_000);
    expect(await agent.get('plan')).toBeUndefined();
    expect(await agent.prune()).toBe(2);
    expect(await agent.stats()).toMatchObject({ entries: 0, bytes: 0, expirations: 2, hits: 2, misses: 2 });
  });

  test('a write with the key of an earlier write leaves the entry as it is (idempotent by writer)', async () => {
    const clock = new ManualClock(start);
    const memory = new AgentMemory(new MemoryStore(), clock, { cacheTtlMs: 0 });
    const agent = memory.agent('acme', 'planner');
    expect(await agent.set('plan', 'first', { writeKey: 'run-1:plan:1' })).toBe(true);
    clock.advance(1000);
    expect(await agent.set('plan', 'again', { writeKey: 'run-1:plan:1' })).toBe(false);
    expect(await agent.get('plan')).toBe('first');
    expect(await agent.set('plan', 'second', { writeKey: 'run-2:plan:1' })).toBe(true);
    expect(await agent.get('plan')).toBe('second');
  });

  test('over maxEntries, the least recently used entries go first; a read counts as a use', async () => {
    const clock = new ManualClock(start);
    const memory = new AgentMemory(new MemoryStore(), clock, { maxEntries: 3 });
    const agent = memory.agent('acme', 'planner');
    for (const key of ['a', 'b', 'c']) {
      await agent.set(key, key.toUpperCase());
      clock.advance(1000);
    }
    expect(await agent.get('a')).toBe('A'); // a is now the most recent
    clock.advance(1000);
    await agent.set('d', 'D');
    expect(await agent.keys()).toEqual(['a', 'c', 'd']);
    clock.advance(1000);
    await agent.set('e', 'E');
    expect(await agent.keys()).toEqual(['a', 'd', 'e']);
    expect((await agent.stats()).evictions).toBe(2);
  });

  test('over maxBytes, entries are pruned until the agent fits; one value over the limit is refused', async () => {
    const clock = new ManualClock(start);
    const memory = new AgentMemory(new MemoryStore(), clock, { maxBytes: 100 });
    const agent = memory.agent('acme', 'writer');
    await agent.set('one', 'x'.repeat(40)); // 42 bytes of JSON
    clock.advance(1);
    await agent.set('two', 'y'.repeat(40));
    clock.advance(1);
    await agent.set('three', 'z'.repeat(40));
    expect(await agent.keys()).toEqual(['three', 'two']);
    expect((await agent.stats()).bytes).toBe(84);
    await expect(agent.set('huge', 'h'.repeat(200))).rejects.toMatchObject({
      code: 'LLMT_E_MEMORY_ENTRY_TOO_LARGE',
      message: expect.stringContaining('key "huge": the value is 202 bytes'),
    });
  });

  test('the defaults are 1,000 entries, 100 MB and 24 h', async () => {
    const clock = new ManualClock(start);
    const memory = new AgentMemory(new MemoryStore(), clock, { cacheTtlMs: 0 });
    const agent = memory.agent('acme', 'bulk');
    for (let i = 0; i < 1001; i++) await agent.set(`k${String(i).padStart(4, '0')}`, i);
    expect((await agent.stats()).entries).toBe(1000);
    expect(await agent.get('k0000')).toBeUndefined();
    clock.advance(24 * 3600_000 - 1);
    expect(await agent.get('k1000')).toBe(1000);
    clock.advance(1);
    expect(await agent.get('k1000')).toBeUndefined();
  });

  test('threads selected keys from one agent to another, tenants stay apart', async () => {
    const store = new MemoryStore();
    const memory = new AgentMemory(store, new ManualClock(start));
    await memory.agent('acme', 'researcher').set('findings', ['a', 'b']);
    await memory.agent('acme', 'researcher').set('scratch', 'private');
    const copied = await memory.thread({
      tenantId: 'acme',
      from: 'researcher',
      to: 'writer',
      keys: ['findings', 'gone'],
    });
    expect(copied).toEqual(['findings']);
    expect(await memory.agent('acme', 'writer').keys()).toEqual(['findings']);
    expect(await memory.agent('globex', 'researcher').get('findings')).toBeUndefined();
  });

  test('hot entries come from the cache; another writer is seen once the cache entry is stale', async () => {
    const clock = new ManualClock(start);
    const store = new MemoryStore();
    const a = new AgentMemory(store, clock, { cacheTtlMs: 1000 });
    const b = new AgentMemory(store, clock);
    await a.agent('acme', 'x').set('k', 1);
    expect(await a.agent('acme', 'x').get('k')).toBe(1);
    await b.agent('acme', 'x').set('k', 2);
    expect(await a.agent('acme', 'x').get('k')).toBe(1);
    clock.advance(1000);
    expect(await a.agent('acme', 'x').get('k')).toBe(2);
    expect((await a.agent('acme', 'x').stats()).cacheHits).toBe(2);
  });

  test('steps reach their own tenant only, through ctx.memory', async () => {
    const remember = defineStepType({
      type: 'remember',
      displayName: 'Remember',
      category: 'AI',
      configSchema: { type: 'object' },
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'output' }],
      async handler(ctx) {
        const before = await ctx.memory('assistant').get('last');
        await ctx.memory('assistant').set('last', ctx.input);
        return { output: before ?? null };
      },
    });
    const store = new MemoryStore();
    const engine = createEngine({
      store,
      clock: new ManualClock(start),
      stepTypes: [remember],
      tenancy: { implicitTenants: true },
    });
    const segment = { segment_id: 'mem', steps: [{ step_id: 's', step_type: 'remember' }] };
    const run = async (tenantId: string, input: string) => {
      const r = await engine.startRun({ segment, input, tenantId });
      return (await engine.waitForRun(r.runId, { tenantId, until: ['completed', 'failed'] })).outputs;
    };
    expect(await run('acme', 'first')).toEqual({ s: null });
    expect(await run('acme', 'second')).toEqual({ s: 'first' });
    expect(await run('globex', 'other')).toEqual({ s: null });
    expect(await engine.memory.agent('acme', 'assistant').get('last')).toBe('second');
  });

  test('a store without the memory role fails with LLMT_E_MEMORY_UNSUPPORTED', async () => {
    const bare = new Proxy(new MemoryStore(), {
      get: (target, prop, receiver) => (prop === 'memory' ? undefined : Reflect.get(target, prop, receiver)),
    }) as Store;
    const memory = new AgentMemory(bare, new ManualClock(start));
    await expect(memory.agent('acme', 'a').get('k')).rejects.toMatchObject({
      code: 'LLMT_E_MEMORY_UNSUPPORTED',
    });
  });
});
