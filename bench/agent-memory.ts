/**
 * Agent memory lookups with 1,000 entries in one agent's memory (MemoryStore's `memory`
 * role): `hot` reads served by the in-process cache, `cold` reads that go to the store
 * each time (cache disabled). Target: p99 < 1 ms.
 */
import { AgentMemory, MemoryStore, systemClock } from '@llmteam/core';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function lookups(memory: AgentMemory, count: number): Promise<{ p50Us: number; p99Us: number }> {
  const agent = memory.agent('bench', 'agent');
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const key = `k${(i * 7919) % 1000}`;
    const t0 = process.hrtime.bigint();
    const value = await agent.get(key);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (value === undefined) throw new Error(`missing ${key}`);
  }
  times.sort((a, b) => a - b);
  return {
    p50Us: Math.round(percentile(times, 50) * 10) / 10,
    p99Us: Math.round(percentile(times, 99) * 10) / 10,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const store = new MemoryStore();
  const writer = new AgentMemory(store, systemClock);
  const agent = writer.agent('bench', 'agent');
  for (let i = 0; i < 1000; i++) await agent.set(`k${i}`, { i, text: 'note '.repeat(20) });
  const hot = new AgentMemory(store, systemClock, { cacheTtlMs: 60_000 });
  await lookups(hot, 2000);
  const cold = new AgentMemory(store, systemClock, { cacheTtlMs: 0 });
  await lookups(cold, 2000);
  return {
    entries: 1000,
    hot: await lookups(hot, 20_000),
    cold: await lookups(cold, 20_000),
    target: { p99Us: '< 1000' },
  };
}
