import { defineErrors } from '@llmteam/core';

/** Error codes of `@llmteam/action-sql` (besides core's `LLMT_E_ACTION_*`). */
export const SQL_ACTION_ERROR_CODES = {
  LLMT_E_SQL_CONNECTION: 'A `database` action names a connection the plugin options do not declare.',
  LLMT_E_SQL_TOO_MANY_ROWS: 'A query returned more rows than its `max_rows`; nothing was returned.',
} as const;

/** A code of {@link SQL_ACTION_ERROR_CODES}. */
export type SqlActionErrorCode = keyof typeof SQL_ACTION_ERROR_CODES;

/** The error registry of `@llmteam/action-sql` (see `defineErrors`). */
export const sqlActionErrors = defineErrors('@llmteam/action-sql', SQL_ACTION_ERROR_CODES, {
  className: 'SqlActionError',
});

/** An error of the SQL action plugin. */
export class SqlActionError extends sqlActionErrors.Error {}
