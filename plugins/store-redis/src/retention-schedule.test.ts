import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@llmteam/store-sqlite';
import { retentionScheduleSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { createRedisStore } from './redis-store.js';
import { dropKeys, redisReachable, TEST_REDIS_URL, uniquePrefix } from './test-services.js';

const reachable = await redisReachable();
const dir = mkdtempSync(join(tmpdir(), 'llmteam-redis-retention-'));
const prefixes: string[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (reachable) for (const p of prefixes) await dropKeys(p);
});
let n = 0;

// Through the Redis store: the sweep reaches the SQL store it wraps, and the swept snapshot
// leaves the Redis cache too.
describe.skipIf(!reachable)('RedisStore over SQLite', () => {
  retentionScheduleSuite({
    name: '@llmteam/store-redis',
    create: async () => {
      const keyPrefix = uniquePrefix();
      prefixes.push(keyPrefix);
      return createRedisStore({
        store: new SqliteStore({ path: join(dir, `r${++n}.sqlite`) }),
        url: TEST_REDIS_URL,
        keyPrefix,
        snapshotTtlSeconds: 3600,
      });
    },
    test,
    expect,
    describe,
  });
});
