import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The next schema version: the `auditCheckpoints` role's table, signed checkpoints of each
 * tenant's audit log keyed by (tenant, size, time). `body` holds the checkpoint as JSON.
 * Audit entries already stored keep their hash format (format 1 entries still verify).
 */
export const AUDIT_CHECKPOINT_STATEMENTS: readonly string[] = [
  `CREATE TABLE audit_checkpoints (tenant_id TEXT NOT NULL, size INTEGER NOT NULL, signed_at TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant_id, size, signed_at))`,
];

/** Adds the audit checkpoint table (one schema version up from the one before). */
export class AuditCheckpointsTable1767750000000 implements MigrationInterface {
  name = 'AuditCheckpointsTable1767750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of AUDIT_CHECKPOINT_STATEMENTS) await queryRunner.query(statement);
    await queryRunner.query(
      `UPDATE llmteam_schema_version SET version = version + 1, updated_at = '${new Date().toISOString()}' WHERE id = 1`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE audit_checkpoints');
    await queryRunner.query(
      `UPDATE llmteam_schema_version SET version = version - 1, updated_at = '${new Date().toISOString()}' WHERE id = 1`,
    );
  }
}
