import { definePlugin, type Store } from '@llmteam/core';
import { createRedisStore, type RedisStoreOptions } from './redis-store.js';

export { REDIS_STORE_ERROR_CODES, RedisStoreError, type RedisStoreErrorCode } from './errors.js';
export { describeRedisUrl, RedisConnection, type RedisConnectionOptions } from './redis-connection.js';
export { RedisEventBus } from './redis-event-bus.js';
export { RedisSnapshotCache } from './redis-snapshot-cache.js';
export { createRedisStore, REDIS_STORE_DEFAULTS, type RedisStoreOptions } from './redis-store.js';

/**
 * The plugin: registers the `redis` store, which wraps another store given as the
 * `store` option (a Store instance, e.g. built in `llmteam.config.js`).
 */
export default definePlugin({
  name: '@llmteam/store-redis',
  version: '0.1.0',
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerStore('redis', (options) =>
      createRedisStore(options as unknown as RedisStoreOptions & { store: Store }),
    );
  },
});
