import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentMemory, ManualClock } from '@llmteam/core';
import { agentMemoryConformanceSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => new SqliteStore({ path: join(dir, `memory-${++n}`, 'db.sqlite') });

agentMemoryConformanceSuite({
  name: '@llmteam/store-sqlite',
  create: async () => fresh(),
  // A second engine's store on the same file, as another process would open it.
  createPeer: async (store) => new SqliteStore({ path: (store as SqliteStore).path }),
  test,
  expect,
  describe,
});

describe('agent memory on SQLite', () => {
  test('entries, recorded reads and pruning survive reopening the file', async () => {
    const clock = new ManualClock(Date.parse('2026-06-01T00:00:00Z'));
    const store = fresh();
    await store.init();
    const memory = new AgentMemory(store, clock, { maxEntries: 2, cacheTtlMs: 0 });
    const agent = memory.agent('acme', 'planner');
    await agent.set('a', 1);
    clock.advance(1000);
    await agent.set('b', 2);
    clock.advance(1000);
    expect(await agent.get('a')).toBe(1); // a is used: b is now the least recent
    clock.advance(1000);
    await agent.set('c', 3);
    await store.close();
    const again = new SqliteStore({ path: store.path });
    await again.init();
    const reopened = new AgentMemory(again, clock).agent('acme', 'planner');
    expect(await reopened.keys()).toEqual(['a', 'c']);
    expect(await reopened.get('c')).toBe(3);
    await again.close();
  });
});
