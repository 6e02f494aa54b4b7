export { SQL_ENTITIES, type SqlRow } from './entities.js';
export { SQL_STORE_ERROR_CODES, SqlStoreError, type SqlStoreErrorCode } from './errors.js';
export { eventFromRow, eventQuerySql } from './event-query-sql.js';
export { EVENT_QUERY_INDEX_STATEMENTS } from './migrations/event-query-indexes.js';
export { SQL_MIGRATIONS, SQL_SCHEMA_VERSION } from './migrations/index.js';
export { INITIAL_SCHEMA_STATEMENTS } from './migrations/initial-schema.js';
export { SerialQueue } from './serial-queue.js';
export {
  INSERT_RUN_SQL,
  insertRows,
  isUniqueViolation,
  isVersionConflict,
  marks,
  ROW_STATEMENTS,
  type RowPart,
  type RunHeader,
  runInTransaction,
  type SqlDialect,
  type SqlExecutor,
  type SqlResult,
  SqlStore,
  VERSION_CONFLICT_MESSAGE,
} from './sql-store.js';
export { type SweepRetentionOptions, type SweepRetentionResult, sweepRetention } from './sweep-retention.js';
