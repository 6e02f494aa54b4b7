import type { SqlRow } from './entities.js';

/** The SQL dialects the shared layer speaks. */
export type SqlDialect = 'sqlite' | 'postgres';

/** Result of one statement. */
export interface SqlResult {
  rows: SqlRow[];
  /** Rows inserted, updated or deleted. */
  affected: number;
}

/** Runs statements written with `?` placeholders on one connection. */
export interface SqlExecutor {
  exec(sql: string, params?: readonly unknown[]): Promise<SqlResult>;
}

/** Rows per multi-row INSERT, well under both databases' parameter limits. */
const ROWS_PER_STATEMENT = 200;

/**
 * Runs `fn` between `begin` (the dialect's BEGIN) and COMMIT on one connection; a throw
 * rolls everything back and is rethrown.
 */
export async function runInTransaction<T>(
  tx: SqlExecutor,
  begin: string,
  fn: (tx: SqlExecutor) => Promise<T>,
): Promise<T> {
  await tx.exec(begin);
  try {
    const result = await fn(tx);
    await tx.exec('COMMIT');
    return result;
  } catch (error) {
    await tx.exec('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Inserts rows with multi-row VALUES lists, in chunks. */
export async function insertRows(tx: SqlExecutor, head: string, rows: unknown[][], tail = ''): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    const tuple = `(${new Array<string>(chunk[0].length).fill('?').join(', ')})`;
    await tx.exec(`${head} ${new Array<string>(chunk.length).fill(tuple).join(', ')}${tail}`, chunk.flat());
  }
}

/** Message of the error a dialect raises when a commit's run is not at the expected version. */
export const VERSION_CONFLICT_MESSAGE = 'llmteam:version-conflict';

/** The error to throw when a commit's run is not at the expected version; the store explains it. */
export function versionConflict(): Error {
  return new Error(VERSION_CONFLICT_MESSAGE);
}

/** Message of the error a dialect raises when another owner holds the lease a commit takes. */
export const LEASE_HELD_MESSAGE = 'llmteam:lease-held';

/** True for the error raised with {@link LEASE_HELD_MESSAGE}. */
export function isLeaseHeldRefusal(error: unknown): boolean {
  return (driverError(error).message ?? '').includes(LEASE_HELD_MESSAGE);
}

/** True for the error raised with {@link VERSION_CONFLICT_MESSAGE}. */
export function isVersionConflict(error: unknown): boolean {
  return (driverError(error).message ?? '').includes(VERSION_CONFLICT_MESSAGE);
}

/** The driver error below TypeORM's QueryFailedError. */
function driverError(error: unknown): { code?: string; message?: string; constraint?: string } {
  const e = error as { driverError?: unknown };
  return (e?.driverError ?? error ?? {}) as { code?: string; message?: string; constraint?: string };
}

/**
 * True for a unique or primary-key violation on SQLite or Postgres. `sqlite3` reports
 * `SQLITE_CONSTRAINT`, `better-sqlite3` the extended code (`SQLITE_CONSTRAINT_UNIQUE`, ...).
 */
export function isUniqueViolation(error: unknown): boolean {
  const d = driverError(error);
  if (d.code === '23505') return true;
  return (d.code ?? '').startsWith('SQLITE_CONSTRAINT') && /UNIQUE|PRIMARY KEY/.test(d.message ?? '');
}

/** The constraint and message of a driver error, to tell which uniqueness was violated. */
export function describeViolation(error: unknown): string {
  const d = driverError(error);
  return `${d.constraint ?? ''} ${d.message ?? ''}`;
}
