import { SqlStoreError } from '@llmteam/store-sql';
import sqlite3 from 'sqlite3';
import type { DataSourceOptions } from 'typeorm';
import { BetterStatements } from './better-statements.js';
import { PreparedStatements } from './prepared-statements.js';

/** The SQLite drivers the store runs on. */
export type SqliteDriver = 'sqlite3' | 'better-sqlite3';

/** TypeORM's options of its two SQLite drivers. */
export type SqliteDriverOptions = Extract<DataSourceOptions, { type: 'sqlite' | 'better-sqlite3' }>;

/** The kept statements of one connection, whichever the driver. */
export type SqliteStatements = PreparedStatements | BetterStatements;

/**
 * TypeORM's driver settings for `driver` (the caller sets `database`); `better-sqlite3` is
 * imported only when chosen, and its absence is a typed error naming the fix.
 */
export async function driverOptions(
  driver: SqliteDriver,
  busyTimeoutMs: number,
  store: string,
): Promise<SqliteDriverOptions> {
  if (driver === 'sqlite3') {
    return {
      type: 'sqlite',
      // TypeORM calls `driver.verbose()`, whose stack capture on every statement costs a
      // large share of a commit; this driver hands back the plain module instead.
      driver: { ...sqlite3, verbose: () => sqlite3 },
      database: '',
      busyTimeout: busyTimeoutMs,
    };
  }
  let module: unknown;
  try {
    module = (await import('better-sqlite3')).default;
  } catch (error) {
    throw new SqlStoreError(
      'LLMT_E_SQL_INVALID_OPTION',
      `${store}: driver 'better-sqlite3' is not installed (${(error as Error).message}). ` +
        "Install it beside @llmteam/store-sqlite (npm install better-sqlite3@12), or leave `driver` at 'sqlite3'.",
      { cause: error, details: { store } },
    );
  }
  return { type: 'better-sqlite3', driver: module, database: '', timeout: busyTimeoutMs };
}

/** Kept statements on the database handle TypeORM's driver opened. */
export function statementsOn(driver: SqliteDriver, handle: unknown): SqliteStatements {
  return driver === 'better-sqlite3'
    ? new BetterStatements(handle as ConstructorParameters<typeof BetterStatements>[0])
    : new PreparedStatements(handle as sqlite3.Database);
}
