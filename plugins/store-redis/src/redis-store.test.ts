import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '@llmteam/core';
import { PostgresStore } from '@llmteam/store-postgres';
import { SqliteStore } from '@llmteam/store-sqlite';
import { agentMemoryConformanceSuite, storeConformanceSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { createRedisStore } from './redis-store.js';
import { dropKeys, redisReachable, TEST_REDIS_URL, uniquePrefix } from './test-services.js';

const reachable = await redisReachable();
const dir = mkdtempSync(join(tmpdir(), 'llmteam-redis-'));
const prefixes: string[] = [];
const PG_URL = process.env.LLMTEAM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (reachable) for (const p of prefixes) await dropKeys(p);
});

/** Drops the store's schema, then closes it. */
async function dropPostgres(store: PostgresStore): Promise<void> {
  const ds = (store as unknown as { dataSource?: { query(sql: string): Promise<unknown> } }).dataSource;
  await ds?.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
  await store.close();
}

async function pgReachable(): Promise<boolean> {
  const probe = new PostgresStore({ url: PG_URL, schema: `probe_${process.pid}`, connectTimeoutMs: 2000 });
  try {
    await probe.init();
    await dropPostgres(probe);
    return true;
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    console.warn(`skipping Redis-over-Postgres tests: ${PG_URL} is unreachable`);
    return false;
  }
}
const pg = reachable && (await pgReachable());

/** What each composed store was made of, for reopening, peers and cleanup. */
const parts = new WeakMap<Store, { inner: SqliteStore | PostgresStore; keyPrefix: string }>();

function redisOver(inner: SqliteStore | PostgresStore, keyPrefix: string): Store {
  const store = createRedisStore({ store: inner, url: TEST_REDIS_URL, keyPrefix });
  parts.set(store, { inner, keyPrefix });
  return store;
}
let n = 0;

function prefix(): string {
  const p = uniquePrefix();
  prefixes.push(p);
  return p;
}

describe.skipIf(!reachable)('RedisStore over SQLite', () => {
  // Agent memory stays in the store under the cache: the composed store passes its role on.
  agentMemoryConformanceSuite({
    name: '@llmteam/store-redis over @llmteam/store-sqlite',
    create: async () => redisOver(new SqliteStore({ path: join(dir, `m${++n}.sqlite`) }), prefix()),
    test,
    expect,
    describe,
  });
  storeConformanceSuite({
    name: '@llmteam/store-redis over @llmteam/store-sqlite',
    create: async () => redisOver(new SqliteStore({ path: join(dir, `s${++n}.sqlite`) }), prefix()),
    reopen: async (store) => {
      const old = parts.get(store)!;
      await store.close();
      return redisOver(new SqliteStore({ path: (old.inner as SqliteStore).path }), old.keyPrefix);
    },
    test,
    expect,
    describe,
  });
});

describe.skipIf(!pg)('RedisStore over Postgres', () => {
  storeConformanceSuite({
    name: '@llmteam/store-redis over @llmteam/store-postgres',
    create: async () => {
      const schema = `redis_${process.pid}_${++n}_${Math.random().toString(36).slice(2, 6)}`;
      return redisOver(new PostgresStore({ url: PG_URL, schema }), prefix());
    },
    createPeer: async (store) => {
      const old = parts.get(store)!;
      return redisOver(
        new PostgresStore({ url: PG_URL, schema: (old.inner as PostgresStore).schema }),
        old.keyPrefix,
      );
    },
    destroy: async (store) => {
      const inner = parts.get(store)!.inner as PostgresStore;
      const ds = (inner as unknown as { dataSource?: { query(sql: string): Promise<unknown> } }).dataSource;
      await ds?.query(`DROP SCHEMA IF EXISTS "${inner.schema}" CASCADE`);
      await store.close();
    },
    test,
    expect,
    describe,
  });
});
