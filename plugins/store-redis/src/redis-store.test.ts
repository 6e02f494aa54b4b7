import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresStore } from '@llmteam/store-postgres';
import { SqliteStore } from '@llmteam/store-sqlite';
import { storeConformanceSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { RedisStore } from './redis-store.js';
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
let n = 0;

function prefix(): string {
  const p = uniquePrefix();
  prefixes.push(p);
  return p;
}

describe.skipIf(!reachable)('RedisStore over SQLite', () => {
  storeConformanceSuite({
    name: '@llmteam/store-redis over @llmteam/store-sqlite',
    create: async () =>
      new RedisStore({
        store: new SqliteStore({ path: join(dir, `s${++n}.sqlite`) }),
        url: TEST_REDIS_URL,
        keyPrefix: prefix(),
      }),
    reopen: async (store) => {
      const old = store as unknown as { inner: SqliteStore; options: { keyPrefix: string } };
      await store.close();
      return new RedisStore({
        store: new SqliteStore({ path: old.inner.path }),
        url: TEST_REDIS_URL,
        keyPrefix: old.options.keyPrefix,
      });
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
      return new RedisStore({
        store: new PostgresStore({ url: PG_URL, schema }),
        url: TEST_REDIS_URL,
        keyPrefix: prefix(),
      });
    },
    createPeer: async (store) => {
      const old = store as unknown as { inner: PostgresStore; options: { keyPrefix: string } };
      return new RedisStore({
        store: new PostgresStore({ url: PG_URL, schema: old.inner.schema }),
        url: TEST_REDIS_URL,
        keyPrefix: old.options.keyPrefix,
      });
    },
    destroy: async (store) => {
      const inner = (store as unknown as { inner: PostgresStore }).inner;
      const ds = (inner as unknown as { dataSource?: { query(sql: string): Promise<unknown> } }).dataSource;
      await ds?.query(`DROP SCHEMA IF EXISTS "${inner.schema}" CASCADE`);
      await store.close();
    },
    test,
    expect,
    describe,
  });
});
