import { definePlugin, type Store } from '@llmteam/core';
import { createRedisActionCoordination } from './redis-action-coordination.js';
import { createRedisStore, type RedisStoreOptions } from './redis-store.js';

export { REDIS_STORE_ERROR_CODES, RedisStoreError, type RedisStoreErrorCode } from './errors.js';
export {
  createRedisActionCoordination,
  type RedisActionCoordination,
  type RedisActionCoordinationOptions,
} from './redis-action-coordination.js';
export { describeRedisUrl, RedisConnection, type RedisConnectionOptions } from './redis-connection.js';
export { RedisEventBus } from './redis-event-bus.js';
export { RedisSnapshotCache } from './redis-snapshot-cache.js';
export { createRedisStore, REDIS_STORE_DEFAULTS, type RedisStoreOptions } from './redis-store.js';

/**
 * The plugin: registers the `redis` store, which wraps another store given as the
 * `store` option (a Store instance, e.g. built in `llmteam.config.js`). With an
 * `actions: { url }` option (in `plugins`), action rate limits and breaker state are
 * shared on that Redis by every engine that loads it.
 */
export default definePlugin({
  name: '@llmteam/store-redis',
  version: '0.1.0',
  apiVersion: '^1.0.0',
  setup(api) {
    const actions = api.options?.actions as { url?: string; keyPrefix?: string } | undefined;
    if (actions) api.registerActionCoordination(createRedisActionCoordination(actions));
    api.registerStore('redis', (options) =>
      createRedisStore(options as unknown as RedisStoreOptions & { store: Store }),
    );
  },
});
