import { definePlugin } from '@llmteam/core';
import { createSqlActionType, type SqlActionTypeOptions } from './sql-action-type.js';

export { SQL_ACTION_ERROR_CODES, SqlActionError, type SqlActionErrorCode } from './errors.js';
export { type CompiledQuery, compileNamedQuery } from './named-query.js';
export {
  createSqlActionType,
  DEFAULT_MAX_ROWS,
  type SqlActionTypeOptions,
  type SqlConnectionOptions,
} from './sql-action-type.js';

/** The plugin: registers the `database` action type with the connections in its options. */
export default definePlugin({
  name: '@llmteam/action-sql',
  version: '0.1.0',
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerActionType(createSqlActionType(api.options as unknown as SqlActionTypeOptions));
  },
});
