import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The next schema version: the `memory` role's table, agent memory entries keyed by
 * (tenant, agent, key). `body` holds the entry as JSON; `last_access_at` is kept in a
 * column of its own so recorded reads update one field.
 */
export const AGENT_MEMORY_STATEMENTS: readonly string[] = [
  `CREATE TABLE agent_memory (tenant_id TEXT NOT NULL, agent_id TEXT NOT NULL, entry_key TEXT NOT NULL, body TEXT NOT NULL, last_access_at TEXT NOT NULL, PRIMARY KEY (tenant_id, agent_id, entry_key))`,
];

/** Adds the agent memory table (one schema version up from the one before). */
export class AgentMemoryTable1767657600000 implements MigrationInterface {
  name = 'AgentMemoryTable1767657600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of AGENT_MEMORY_STATEMENTS) await queryRunner.query(statement);
    await queryRunner.query(
      `UPDATE llmteam_schema_version SET version = version + 1, updated_at = '${new Date().toISOString()}' WHERE id = 1`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE agent_memory');
    await queryRunner.query(
      `UPDATE llmteam_schema_version SET version = version - 1, updated_at = '${new Date().toISOString()}' WHERE id = 1`,
    );
  }
}
