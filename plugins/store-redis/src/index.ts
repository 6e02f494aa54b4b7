import { definePlugin, type Store } from '@llmteam/core';
import { createRedisStore, type RedisStoreOptions } from './redis-store.js';

export { RedisStore, createRedisStore, REDIS_STORE_DEFAULTS, type RedisStoreOptions } from './redis-store.js';
export { RedisStoreError, REDIS_STORE_ERROR_CODES, type RedisStoreErrorCode } from './errors.js';

/**
 * The plugin: registers the `redis` store, which wraps another store given as the
 * `store` option (a Store instance, e.g. built in `llmteam.config.js`).
 */
export default definePlugin({
  name: '@llmteam/store-redis',
  version: '0.1.0',
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerStore('redis', (options) => createRedisStore(options as unknown as RedisStoreOptions & { store: Store }));
  },
});
