export {
  type CommitPlan,
  leaseParams,
  planCommit,
  type RowPart,
  type RunHeader,
} from './commit-plan.js';
export { SQL_ENTITIES, type SqlRow } from './entities.js';
export { SQL_STORE_ERROR_CODES, SqlStoreError, type SqlStoreErrorCode } from './errors.js';
export { eventFromRow, eventQuerySql } from './event-query-sql.js';
export { EVENT_QUERY_INDEX_STATEMENTS } from './migrations/event-query-indexes.js';
export { SQL_MIGRATIONS, SQL_SCHEMA_VERSION } from './migrations/index.js';
export { INITIAL_SCHEMA_STATEMENTS } from './migrations/initial-schema.js';
export { SerialQueue } from './serial-queue.js';
export {
  insertRows,
  isLeaseHeldRefusal,
  isUniqueViolation,
  isVersionConflict,
  LEASE_HELD_MESSAGE,
  runInTransaction,
  type SqlDialect,
  type SqlExecutor,
  type SqlResult,
  VERSION_CONFLICT_MESSAGE,
  versionConflict,
} from './sql-executor.js';
export { type PlanWriter, SqlStore } from './sql-store.js';
export { INSERT_RUN_SQL, LEASE_SQL, marks, ROW_STATEMENTS, UPDATE_RUN_SQL } from './sql-text.js';
export { type SweepRetentionOptions, type SweepRetentionResult, sweepRetention } from './sweep-retention.js';
