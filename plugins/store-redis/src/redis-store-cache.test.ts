import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, type WorktrailEvent } from '@llmteam/core';
import { SqliteStore } from '@llmteam/store-sqlite';
import { advanceRun, sampleAudit, sampleSnapshot, startRun } from '@llmteam/testkit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, test } from 'vitest';
import redisPlugin from './index.js';
import { createRedisStore } from './redis-store.js';
import { dropKeys, redisReachable, TEST_REDIS_URL, uniquePrefix } from './test-services.js';

const reachable = await redisReachable();
const dir = mkdtempSync(join(tmpdir(), 'llmteam-redis-cache-'));
const prefixes: string[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (reachable) for (const p of prefixes) await dropKeys(p);
});
let n = 0;

function prefix(): string {
  const p = uniquePrefix();
  prefixes.push(p);
  return p;
}

describe.skipIf(!reachable)('RedisStore cache and bus', () => {
  test('writes snapshots to both stores with a TTL, and reads Redis first', async () => {
    const inner = new SqliteStore({ path: join(dir, `c${++n}.sqlite`) });
    const keyPrefix = prefix();
    const store = createRedisStore({ store: inner, url: TEST_REDIS_URL, keyPrefix, snapshotTtlSeconds: 120 });
    await store.init();
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const run = await startRun(store, 't1', 'run-1');
      const snap = sampleSnapshot(run, [], 'snap-1');
      await advanceRun(store, run, 1, { snapshots: [snap] });
      expect(await inner.getSnapshot('t1', 'snap-1')).toEqual(snap);
      const ttl = await redis.ttl(`${keyPrefix}snapshot:t1:snap-1`);
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
      // Break the SQL row: a read that still succeeds came from Redis.
      await (inner as unknown as { dataSource: { query(s: string): Promise<unknown> } }).dataSource.query(
        `UPDATE snapshots SET state = 'broken' WHERE snapshot_id = 'snap-1'`,
      );
      expect(await store.getSnapshot('t1', 'snap-1')).toEqual(snap);
      // A cache miss reads the source of truth and fills the cache.
      await redis.del(`${keyPrefix}snapshot:t1:snap-1`);
      await expect(store.getSnapshot('t1', 'snap-1')).rejects.toMatchObject({
        code: 'LLMT_E_SQL_CORRUPT_ROW',
      });
    } finally {
      redis.disconnect();
      await store.close();
    }
  });

  test('fills the cache on a miss and drops cached copies when a run is erased', async () => {
    const inner = new SqliteStore({ path: join(dir, `c${++n}.sqlite`) });
    const keyPrefix = prefix();
    const run = await (async () => {
      await inner.init();
      const r = await startRun(inner, 't1', 'run-1');
      await advanceRun(inner, r, 1, { snapshots: [sampleSnapshot(r, [], 'snap-1')] });
      return r;
    })();
    const store = createRedisStore({ store: inner, url: TEST_REDIS_URL, keyPrefix });
    await store.init();
    const redis = new Redis(TEST_REDIS_URL);
    try {
      expect(await redis.exists(`${keyPrefix}snapshot:t1:snap-1`)).toBe(0);
      expect((await store.getSnapshot('t1', 'snap-1'))?.runId).toBe(run.runId);
      expect(await redis.exists(`${keyPrefix}snapshot:t1:snap-1`)).toBe(1);
      await store.eraseRun('t1', 'run-1', sampleAudit('t1', 'run.erased'));
      expect(await redis.exists(`${keyPrefix}snapshot:t1:snap-1`)).toBe(0);
      expect(await store.getSnapshot('t1', 'snap-1')).toBeUndefined();
      expect((await store.listAudit('t1')).map((a) => a.action)).toEqual(['run.erased']);
    } finally {
      redis.disconnect();
      await store.close();
    }
  });

  test('carries events between nodes: each node delivers every event once, in order', async () => {
    const shared = new MemoryStore();
    const keyPrefix = prefix();
    const a = createRedisStore({ store: shared, url: TEST_REDIS_URL, keyPrefix });
    const b = createRedisStore({ store: shared, url: TEST_REDIS_URL, keyPrefix });
    const other = createRedisStore({ store: new MemoryStore(), url: TEST_REDIS_URL, keyPrefix: prefix() });
    await Promise.all([a.init(), b.init(), other.init()]);
    try {
      const seenA: WorktrailEvent[] = [];
      const seenB: WorktrailEvent[] = [];
      const seenOther: WorktrailEvent[] = [];
      a.subscribe((e) => seenA.push(...e));
      b.subscribe((e) => seenB.push(...e));
      other.subscribe((e) => seenOther.push(...e));
      let run = await startRun(a, 't1', 'run-1');
      for (let i = 0; i < 10; i++) run = await advanceRun(i % 2 ? a : b, run, 2);
      for (let i = 0; i < 2000 && (seenA.length < 21 || seenB.length < 21); i++)
        await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 100));
      const seqs = Array.from({ length: 21 }, (_, i) => i + 1);
      expect(seenA.map((e) => e.seq)).toEqual(seqs);
      expect(seenB.map((e) => e.seq)).toEqual(seqs);
      // Another key prefix is another cluster.
      expect(seenOther).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  test('fails at init with a typed error naming host and port, not the password', async () => {
    const store = createRedisStore({
      store: new MemoryStore(),
      url: 'redis://:hunter2-pw@127.0.0.1:1',
      connectTimeoutMs: 1000,
    });
    const error = (await store.init().catch((e: unknown) => e)) as { code?: string; message: string };
    expect(error.code).toBe('LLMT_E_REDIS_UNREACHABLE');
    expect(error.message).toContain('redis:127.0.0.1:1');
    expect(error.message).not.toContain('hunter2-pw');
    expect(() => createRedisStore({ store: undefined as never })).toThrow(/store/);
  });

  test('registers the redis store factory through its plugin', async () => {
    const names: string[] = [];
    await redisPlugin.setup({ registerStore: (name: string) => names.push(name) } as never);
    expect(names).toEqual(['redis']);
  });
});
