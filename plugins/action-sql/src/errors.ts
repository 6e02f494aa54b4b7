import { LlmteamError, type LlmteamErrorOptions } from '@llmteam/core';

/** Error codes of `@llmteam/action-sql` (besides core's `LLMT_E_ACTION_*`). */
export const SQL_ACTION_ERROR_CODES = {
  LLMT_E_SQL_CONNECTION: 'A `database` action names a connection the plugin options do not declare.',
  LLMT_E_SQL_TOO_MANY_ROWS: 'A query returned more rows than its `max_rows`; nothing was returned.',
} as const;

export type SqlActionErrorCode = keyof typeof SQL_ACTION_ERROR_CODES;

/** An error of the SQL action plugin. */
export class SqlActionError extends LlmteamError {
  constructor(code: SqlActionErrorCode, message: string, options: LlmteamErrorOptions = {}) {
    super(code, message, options);
    this.name = 'SqlActionError';
  }
}
