import { definePlugin } from '@llmteam/core';
import { createPostgresStore, type PostgresStoreOptions } from './postgres-store.js';

export {
  SQL_STORE_ERROR_CODES,
  SqlStoreError,
  type SweepRetentionOptions,
  type SweepRetentionResult,
  sweepRetention,
} from '@llmteam/store-sql';
export {
  createPostgresStore,
  POSTGRES_STORE_DEFAULTS,
  PostgresStore,
  type PostgresStoreOptions,
} from './postgres-store.js';

/**
 * The plugin: registers the `postgres` store. In `llmteam.config.json`:
 * `{ "store": ["@llmteam/store-postgres", { "url": "postgres://127.0.0.1/llmteam" }] }`.
 */
export default definePlugin({
  name: '@llmteam/store-postgres',
  version: '0.1.0',
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerStore('postgres', (options) =>
      createPostgresStore(options as unknown as PostgresStoreOptions),
    );
  },
});
