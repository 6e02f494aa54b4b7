import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The next schema version: a snapshot's segment and label as columns, for listing a segment's
 * snapshots (newest first) without reading their states. Rows of older versions get
 * their segment from the state they hold.
 */
export const SNAPSHOT_LISTING_STATEMENTS: readonly string[] = [
  `ALTER TABLE snapshots ADD COLUMN segment_id TEXT`,
  `ALTER TABLE snapshots ADD COLUMN label TEXT`,
  `CREATE INDEX snapshots_by_segment ON snapshots (tenant_id, segment_id, created_at, snapshot_id)`,
  `CREATE INDEX snapshots_by_time ON snapshots (tenant_id, created_at, snapshot_id)`,
];

/** The backfill of `segment_id` from the JSON state, in each dialect. */
const BACKFILL: Record<'sqlite' | 'postgres', string> = {
  sqlite: `UPDATE snapshots SET segment_id = json_extract(state, '$.run.segmentId') WHERE segment_id IS NULL`,
  postgres: `UPDATE snapshots SET segment_id = (state::jsonb #>> '{run,segmentId}') WHERE segment_id IS NULL`,
};

/** Adds the snapshot listing columns and indexes (one schema version up from the one before). */
export class SnapshotListing1767571200000 implements MigrationInterface {
  name = 'SnapshotListing1767571200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of SNAPSHOT_LISTING_STATEMENTS) await queryRunner.query(statement);
    const dialect = queryRunner.connection.options.type === 'postgres' ? 'postgres' : 'sqlite';
    await queryRunner.query(BACKFILL[dialect]);
    await queryRunner.query(
      `UPDATE llmteam_schema_version SET version = version + 1, updated_at = '${new Date().toISOString()}' WHERE id = 1`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX snapshots_by_time');
    await queryRunner.query('DROP INDEX snapshots_by_segment');
    await queryRunner.query('ALTER TABLE snapshots DROP COLUMN label');
    await queryRunner.query('ALTER TABLE snapshots DROP COLUMN segment_id');
    await queryRunner.query(
      `UPDATE llmteam_schema_version SET version = version - 1, updated_at = '${new Date().toISOString()}' WHERE id = 1`,
    );
  }
}
