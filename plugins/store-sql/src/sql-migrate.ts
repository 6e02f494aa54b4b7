import { type DataSource, MigrationExecutor, type QueryRunner } from 'typeorm';
import type { SqlRow } from './entities.js';
import { SqlStoreError } from './errors.js';
import { SQL_SCHEMA_VERSION } from './migrations/index.js';
import { SCHEMA_VERSION_SQL } from './sql-text.js';

/** Hooks around a migration (Postgres: schema and advisory lock). */
export interface MigrateHooks {
  before(runner: QueryRunner): Promise<void>;
  /** Runs even when migrating failed. */
  after(runner: QueryRunner): Promise<void>;
}

/**
 * Brings the database to {@link SQL_SCHEMA_VERSION} in one transaction, or refuses a
 * database migrated by a newer plugin.
 */
export async function migrateSchema(
  dataSource: DataSource,
  store: string,
  hooks: MigrateHooks,
): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await hooks.before(runner);
    const current = await schemaVersion(runner);
    if (current > SQL_SCHEMA_VERSION) {
      throw new SqlStoreError(
        'LLMT_E_SQL_SCHEMA_TOO_NEW',
        `${store}: the database has schema version ${current}, but this plugin knows versions up to ${SQL_SCHEMA_VERSION}. ` +
          'Upgrade the store plugin to the version that migrated this database, or point the store at another database.',
        { details: { store, found: current, known: SQL_SCHEMA_VERSION } },
      );
    }
    if (current < SQL_SCHEMA_VERSION) {
      const executor = new MigrationExecutor(dataSource, runner);
      // One transaction for all pending migrations: never a half-migrated database.
      executor.transaction = 'all';
      try {
        await executor.executePendingMigrations();
      } catch (error) {
        throw new SqlStoreError(
          'LLMT_E_SQL_MIGRATION',
          `${store}: migrating the schema from version ${current} to ${SQL_SCHEMA_VERSION} failed and was rolled back: ${(error as Error).message}. ` +
            'Fix the cause (permissions, a conflicting table) and start again; the database was left as it was.',
          { cause: error, details: { store } },
        );
      }
    }
  } finally {
    await hooks.after(runner).catch(() => undefined);
    await runner.release();
  }
}

async function schemaVersion(runner: QueryRunner): Promise<number> {
  if (!(await runner.hasTable('llmteam_schema_version'))) return 0;
  const rows = (await runner.query(SCHEMA_VERSION_SQL)) as SqlRow[];
  return Number(rows[0]?.version ?? 0);
}
