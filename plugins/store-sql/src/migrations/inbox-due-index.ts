import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Statuses of a request someone still has to answer (core's `OPEN_INTERACTION_STATUSES`). */
const OPEN = `('pending', 'notified', 'in_progress', 'escalated')`;

/**
 * The next schema version: an open request's SLA key (`open_due`, core's
 * `interactionDueKey`; NULL once closed) and an index on it, so the first page of an
 * SLA-ordered inbox is read from the index whatever the number of waiting runs.
 */
export const INBOX_DUE_STATEMENTS: readonly string[] = [
  `ALTER TABLE interactions ADD COLUMN open_due TEXT`,
  `CREATE INDEX interactions_open_due ON interactions (tenant_id, open_due)`,
];

/** The backfill of `open_due` from the JSON body of open requests, in each dialect. */
const BACKFILL: Record<'sqlite' | 'postgres', string> = {
  sqlite: `UPDATE interactions SET open_due = COALESCE(json_extract(body, '$.slaBreachAt'), json_extract(body, '$.deadline'), '9999') || '|' || created_at || '|' || interaction_id WHERE status IN ${OPEN}`,
  postgres: `UPDATE interactions SET open_due = COALESCE(body::jsonb ->> 'slaBreachAt', body::jsonb ->> 'deadline', '9999') || '|' || created_at || '|' || interaction_id WHERE status IN ${OPEN}`,
};

/** Adds the inbox's due key and index (one schema version up from the one before). */
export class InboxDueIndex1767484800000 implements MigrationInterface {
  name = 'InboxDueIndex1767484800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of INBOX_DUE_STATEMENTS) await queryRunner.query(statement);
    const dialect = queryRunner.connection.options.type === 'postgres' ? 'postgres' : 'sqlite';
    await queryRunner.query(BACKFILL[dialect]);
    await queryRunner.query(
      `UPDATE llmteam_schema_version SET version = version + 1, updated_at = '${new Date().toISOString()}' WHERE id = 1`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX interactions_open_due');
    await queryRunner.query('ALTER TABLE interactions DROP COLUMN open_due');
    await queryRunner.query(
      `UPDATE llmteam_schema_version SET version = version - 1, updated_at = '${new Date().toISOString()}' WHERE id = 1`,
    );
  }
}
