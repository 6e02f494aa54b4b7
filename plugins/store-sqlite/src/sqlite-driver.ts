import { createRequire } from 'node:module';
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

const requireHere = createRequire(import.meta.url);

/** `[major, minor]` of a `x.y.z` version string. */
function majorMinor(version: string): [number, number] {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return [major ?? 0, minor ?? 0];
}

/**
 * Why the installed `better-sqlite3` cannot run on this Node, or `undefined` when it can.
 *
 * - 12.x and older derive their objects from `node::ObjectWrap`, whose destructor on Node
 *   24.19 and later aborts the whole process when the garbage collector frees a statement
 *   outside a JavaScript context (an idle collection, at any moment after a query). 13.x
 *   moved to Node-API and runs there.
 * - 13.x declares Node 22 as its floor and crashes on Node 20.
 *
 * `installed` defaults to the version of the `better-sqlite3` this package resolves (its
 * `package.json`); with none installed there is no problem to report.
 */
export function betterSqlite3Problem(
  nodeVersion: string = process.versions.node,
  installed: string | undefined = installedBetterSqlite3(),
): string | undefined {
  if (installed === undefined) return undefined;
  const [nodeMajor, nodeMinor] = majorMinor(nodeVersion);
  const [major] = majorMinor(installed);
  if (major < 13 && (nodeMajor > 24 || (nodeMajor === 24 && nodeMinor >= 19))) {
    return (
      `better-sqlite3 ${installed} aborts the process on Node ${nodeVersion} (Node 24.19 and later ` +
      'assert when a statement is garbage-collected outside JavaScript). ' +
      "Install better-sqlite3@13 (npm install better-sqlite3@13), or leave `driver` at 'sqlite3'."
    );
  }
  if (major >= 13 && nodeMajor < 22) {
    return (
      `better-sqlite3 ${installed} needs Node 22 or later, this is Node ${nodeVersion}. ` +
      "Install better-sqlite3@12 (npm install better-sqlite3@12), or leave `driver` at 'sqlite3'."
    );
  }
  return undefined;
}

/** The version of the `better-sqlite3` this package resolves, or `undefined` when none. */
function installedBetterSqlite3(): string | undefined {
  try {
    return (requireHere('better-sqlite3/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
}

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
  const problem = betterSqlite3Problem();
  if (problem !== undefined) {
    throw new SqlStoreError('LLMT_E_SQL_INVALID_OPTION', `${store}: driver 'better-sqlite3': ${problem}`, {
      details: { store, node: process.versions.node },
    });
  }
  let module: unknown;
  try {
    module = (await import('better-sqlite3')).default;
  } catch (error) {
    throw new SqlStoreError(
      'LLMT_E_SQL_INVALID_OPTION',
      `${store}: driver 'better-sqlite3' is not installed (${(error as Error).message}). ` +
        'Install it beside @llmteam/store-sqlite (npm install better-sqlite3@12 on Node 20, ' +
        "better-sqlite3@13 on Node 22 and later), or leave `driver` at 'sqlite3'.",
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
