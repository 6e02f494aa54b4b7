import { definePlugin } from '@llmteam/core';
import { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

export {
  SQL_STORE_ERROR_CODES,
  SqlStoreError,
  type SweepRetentionOptions,
  type SweepRetentionResult,
  sweepRetention,
} from '@llmteam/store-sql';
export { betterSqlite3Problem } from './sqlite-driver.js';
export {
  createSqliteStore,
  SQLITE_STORE_DEFAULTS,
  SqliteStore,
  type SqliteStoreOptions,
} from './sqlite-store.js';

/**
 * The plugin: registers the `sqlite` store. In `llmteam.config.json`:
 * `{ "store": ["@llmteam/store-sqlite", { "path": "./.llmteam/llmteam.sqlite" }] }`.
 */
export default definePlugin({
  name: '@llmteam/store-sqlite',
  version: '0.1.0',
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerStore('sqlite', (options) => createSqliteStore(options as SqliteStoreOptions));
  },
});
