import { composeStore, type Store } from '@llmteam/core';
import { RedisStoreError } from './errors.js';
import { describeRedisUrl, RedisConnection } from './redis-connection.js';
import { RedisEventBus } from './redis-event-bus.js';
import { RedisSnapshotCache } from './redis-snapshot-cache.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** The store that keeps everything (SQLite, Postgres, ...): the source of truth. Required. */
  store: Store;
  /** Redis URL. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** Prefix of every key and of the event channel; nodes sharing runs use the same one. @default 'llmteam:' */
  keyPrefix?: string;
  /** How long a cached snapshot lives, in seconds. @default 86400 */
  snapshotTtlSeconds?: number;
  /** How long `init()` waits for Redis, in ms. @default 5000 */
  connectTimeoutMs?: number;
}

/** The defaults of {@link RedisStoreOptions}. */
export const REDIS_STORE_DEFAULTS = {
  url: 'redis://127.0.0.1:6379',
  keyPrefix: 'llmteam:',
  snapshotTtlSeconds: 86_400,
  connectTimeoutMs: 5000,
} as const;

/**
 * Puts Redis in front of a store: a snapshot cache with a TTL (read first, written after
 * each commit) and a cross-node event bus, so `subscribe` delivers other nodes' events too.
 * Both are parts combined with the store by `composeStore`; every other role is the
 * store's own, which stays the source of truth.
 *
 * ```ts
 * const store = createRedisStore({ store: createPostgresStore({ url }), url: 'redis://127.0.0.1:6379' });
 * await store.init();
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): Store {
  if (!options?.store || typeof options.store.commit !== 'function') {
    throw new RedisStoreError(
      'LLMT_E_REDIS_INVALID_OPTION',
      'redis store: the `store` option must be the store to wrap, e.g. createRedisStore({ store: createPostgresStore({ url }) })',
    );
  }
  const settings = { ...REDIS_STORE_DEFAULTS, ...stripUndefined(options) } as Required<
    Omit<RedisStoreOptions, 'store'>
  >;
  if (!(settings.snapshotTtlSeconds > 0)) {
    throw new RedisStoreError(
      'LLMT_E_REDIS_INVALID_OPTION',
      `redis store: snapshotTtlSeconds must be a positive number of seconds, got ${settings.snapshotTtlSeconds}`,
    );
  }
  const where = describeRedisUrl(settings.url);
  const connection = new RedisConnection({
    url: settings.url,
    connectTimeoutMs: settings.connectTimeoutMs,
    store: `${where}+${options.store.name}`,
  });
  return composeStore({
    store: options.store,
    events: new RedisEventBus(where, connection, `${settings.keyPrefix}events`),
    snapshots: new RedisSnapshotCache(where, connection, settings.keyPrefix, settings.snapshotTtlSeconds),
  });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([k, v]) => v !== undefined && k !== 'store'),
  ) as Partial<T>;
}
