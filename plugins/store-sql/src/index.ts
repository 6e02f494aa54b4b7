export { SqlStore, insertRows, isUniqueViolation, marks, type RowPart, type SqlDialect, type SqlExecutor, type SqlResult } from './sql-store.js';
export { SerialQueue } from './serial-queue.js';
export { SqlStoreError, SQL_STORE_ERROR_CODES, type SqlStoreErrorCode } from './errors.js';
export { SQL_ENTITIES, type SqlRow } from './entities.js';
export { SQL_MIGRATIONS, SQL_SCHEMA_VERSION } from './migrations/index.js';
export { INITIAL_SCHEMA_STATEMENTS } from './migrations/initial-schema.js';
export { sweepRetention, type SweepRetentionOptions, type SweepRetentionResult } from './sweep-retention.js';
