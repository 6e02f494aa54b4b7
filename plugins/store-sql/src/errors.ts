import { defineErrors } from '@llmteam/core';

/** Every error code of `@llmteam/store-sql` (and the SQL stores built on it). Documented in the README. */
export const SQL_STORE_ERROR_CODES = {
  LLMT_E_SQL_UNREACHABLE:
    'The database could not be opened or reached; the message names the store (host and port, never the password) and the fix.',
  LLMT_E_SQL_SCHEMA_TOO_NEW:
    'The database was migrated by a newer version of the plugin; upgrade the plugin, or point it at another database.',
  LLMT_E_SQL_MIGRATION: 'A schema migration failed; it ran in one transaction, so nothing of it was applied.',
  LLMT_E_SQL_CORRUPT_ROW:
    'A stored row could not be decoded (e.g. unparseable JSON); the message names the table and the key.',
  LLMT_E_SQL_NOT_READY: 'The store was used before `init()` or after `close()`.',
  LLMT_E_SQL_INVALID_OPTION: 'A store option has the wrong shape; the message names it and the fix.',
} as const;

/** A code of {@link SQL_STORE_ERROR_CODES}. */
export type SqlStoreErrorCode = keyof typeof SQL_STORE_ERROR_CODES;

/** The error registry of `@llmteam/store-sql` (see `defineErrors`). */
export const sqlStoreErrors = defineErrors('@llmteam/store-sql', SQL_STORE_ERROR_CODES, {
  className: 'SqlStoreError',
});

/** An error of a SQL store. `details.store` names the store (`sqlite:<path>`, `postgres:<host>:<port>/<db>`). */
export class SqlStoreError extends sqlStoreErrors.Error {}
