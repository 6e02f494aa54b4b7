import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Schema version 2: indexes for event queries across runs (`Store.queryEvents`). Both
 * end in the events' page order (time, run, seq), so a first page reads only its rows.
 */
export const EVENT_QUERY_INDEX_STATEMENTS: readonly string[] = [
  `CREATE INDEX events_by_type ON events (tenant_id, type, at, run_id, seq)`,
  `CREATE INDEX events_by_time ON events (tenant_id, at, run_id, seq)`,
];

/** Creates schema version 2. */
export class EventQueryIndexes1767312000000 implements MigrationInterface {
  name = 'EventQueryIndexes1767312000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of EVENT_QUERY_INDEX_STATEMENTS) await queryRunner.query(statement);
    await queryRunner.query(
      `UPDATE llmteam_schema_version SET version = 2, updated_at = '${new Date().toISOString()}' WHERE id = 1`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX events_by_time');
    await queryRunner.query('DROP INDEX events_by_type');
    await queryRunner.query(
      `UPDATE llmteam_schema_version SET version = 1, updated_at = '${new Date().toISOString()}' WHERE id = 1`,
    );
  }
}
