import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Schema version 1: every table keyed by `tenant_id` first. The same statements run on
 * SQLite and Postgres (`BIGINT` has integer affinity in SQLite). JSON lives in TEXT
 * columns: both databases store it as written and nothing queries inside it.
 */
/**
 * Marks the small, hot tables that SQLite stores clustered on their primary key
 * (`WITHOUT ROWID`): one b-tree per table, so a commit writes fewer pages. Postgres has no
 * such option and drops the marker.
 */
const CLUSTERED = ' /*clustered*/';

export const INITIAL_SCHEMA_STATEMENTS: readonly string[] = [
  `CREATE TABLE llmteam_schema_version (id INTEGER PRIMARY KEY NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL)`,
  `CREATE TABLE runs (
    tenant_id TEXT NOT NULL, run_id TEXT NOT NULL, segment_id TEXT NOT NULL, segment_version TEXT NOT NULL,
    status TEXT NOT NULL, version INTEGER NOT NULL, last_seq INTEGER NOT NULL, steps_completed INTEGER NOT NULL,
    idempotency_key TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, completed_at TEXT,
    input TEXT, outputs TEXT, extra TEXT NOT NULL, lease_owner TEXT, lease_until BIGINT,
    PRIMARY KEY (tenant_id, run_id))`,
  `CREATE UNIQUE INDEX runs_idempotency_key ON runs (tenant_id, idempotency_key)`,
  `CREATE INDEX runs_listing ON runs (tenant_id, created_at, run_id)`,
  `CREATE INDEX runs_claimable ON runs (status, lease_until)`,
  `CREATE TABLE step_states (
    tenant_id TEXT NOT NULL, run_id TEXT NOT NULL, step_id TEXT NOT NULL, status TEXT NOT NULL,
    data TEXT NOT NULL, inputs TEXT, outputs TEXT,
    PRIMARY KEY (tenant_id, run_id, step_id))${CLUSTERED}`,
  `CREATE TABLE run_values (
    tenant_id TEXT NOT NULL, run_id TEXT NOT NULL, hash TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, run_id, hash))`,
  `CREATE TABLE events (
    tenant_id TEXT NOT NULL, run_id TEXT NOT NULL, seq INTEGER NOT NULL, event_id TEXT NOT NULL,
    type TEXT NOT NULL, step_id TEXT, at TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (tenant_id, run_id, seq))${CLUSTERED}`,
  `CREATE TABLE interactions (
    tenant_id TEXT NOT NULL, interaction_id TEXT NOT NULL, run_id TEXT NOT NULL, status TEXT NOT NULL,
    created_at TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, interaction_id))`,
  `CREATE INDEX interactions_by_run ON interactions (tenant_id, run_id)`,
  `CREATE INDEX interactions_by_status ON interactions (tenant_id, status)`,
  `CREATE TABLE timers (
    tenant_id TEXT NOT NULL, timer_id TEXT NOT NULL, run_id TEXT NOT NULL, due_ms BIGINT NOT NULL,
    body TEXT NOT NULL, lease_owner TEXT, lease_until BIGINT,
    PRIMARY KEY (tenant_id, timer_id))`,
  `CREATE INDEX timers_due ON timers (due_ms)`,
  `CREATE INDEX timers_by_run ON timers (tenant_id, run_id)`,
  `CREATE TABLE snapshots (
    tenant_id TEXT NOT NULL, snapshot_id TEXT NOT NULL, run_id TEXT NOT NULL, seq INTEGER NOT NULL,
    reason TEXT NOT NULL, created_at TEXT NOT NULL, checksum TEXT NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (tenant_id, snapshot_id))`,
  `CREATE INDEX snapshots_by_run ON snapshots (tenant_id, run_id, seq)`,
  `CREATE INDEX snapshots_by_age ON snapshots (tenant_id, created_at)`,
  `CREATE TABLE audit (
    tenant_id TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, hash TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq))`,
  `CREATE TABLE tenants (tenant_id TEXT NOT NULL PRIMARY KEY, body TEXT NOT NULL)`,
  `CREATE TABLE api_keys (
    tenant_id TEXT NOT NULL, key_id TEXT NOT NULL, secret_hash TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key_id))`,
  `CREATE UNIQUE INDEX api_keys_by_hash ON api_keys (secret_hash)`,
  `CREATE TABLE segments (
    tenant_id TEXT NOT NULL, segment_id TEXT NOT NULL, version TEXT NOT NULL, put_seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, segment_id, version))`,
];

/** Creates schema version 1. TypeORM runs it inside the single migration transaction. */
export class InitialSchema1767225600000 implements MigrationInterface {
  name = 'InitialSchema1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Either SQLite driver ('sqlite' is sqlite3, 'better-sqlite3'): the same file format.
    const sqlite = queryRunner.connection.options.type !== 'postgres';
    for (const statement of INITIAL_SCHEMA_STATEMENTS) {
      await queryRunner.query(statement.replace(CLUSTERED, sqlite ? ' WITHOUT ROWID' : ''));
    }
    await queryRunner.query(
      `INSERT INTO llmteam_schema_version (id, version, updated_at) VALUES (1, 1, '${new Date().toISOString()}')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const tables = [
      'segments',
      'api_keys',
      'tenants',
      'audit',
      'snapshots',
      'timers',
      'interactions',
      'events',
      'run_values',
      'step_states',
      'runs',
      'llmteam_schema_version',
    ];
    for (const table of tables) await queryRunner.query(`DROP TABLE ${table}`);
  }
}
