import { EntitySchema, type EntitySchemaColumnOptions } from 'typeorm';

/*
 * TypeORM entity schemas of every table, for tools and for anyone reading the database with
 * TypeORM. They describe what the migrations create; the store itself reads and writes with
 * raw SQL on its hot path. `EntitySchema` rather than decorators: no reflect-metadata and
 * no decorator transform needed, under any loader.
 */

const text = (nullable = false): EntitySchemaColumnOptions => ({ type: 'text', nullable });
const key = (): EntitySchemaColumnOptions => ({ type: 'text', primary: true });
const int = (nullable = false): EntitySchemaColumnOptions => ({ type: 'integer', nullable });
const big = (nullable = false): EntitySchemaColumnOptions => ({ type: 'bigint', nullable });

/** Row types as the database keeps them (JSON in TEXT columns). */
export type SqlRow = Record<string, unknown>;

function table(
  name: string,
  columns: Record<string, EntitySchemaColumnOptions>,
  indices: Array<{ name: string; columns: string[]; unique?: boolean }> = [],
  withoutRowid = false,
): EntitySchema<SqlRow> {
  return new EntitySchema<SqlRow>({ name, tableName: name, columns, indices, withoutRowid });
}

/** Every entity schema, in migration order. */
export const SQL_ENTITIES: EntitySchema<SqlRow>[] = [
  table('llmteam_schema_version', {
    id: { type: 'integer', primary: true },
    version: int(),
    updated_at: text(),
  }),
  table(
    'runs',
    {
      tenant_id: key(),
      run_id: key(),
      segment_id: text(),
      segment_version: text(),
      status: text(),
      version: int(),
      last_seq: int(),
      steps_completed: int(),
      idempotency_key: text(true),
      created_at: text(),
      updated_at: text(),
      completed_at: text(true),
      input: text(true),
      outputs: text(true),
      extra: text(),
      lease_owner: text(true),
      lease_until: big(true),
    },
    [
      { name: 'runs_idempotency_key', columns: ['tenant_id', 'idempotency_key'], unique: true },
      { name: 'runs_listing', columns: ['tenant_id', 'created_at', 'run_id'] },
      { name: 'runs_claimable', columns: ['status', 'lease_until'] },
    ],
  ),
  table(
    'step_states',
    {
      tenant_id: key(),
      run_id: key(),
      step_id: key(),
      status: text(),
      data: text(),
      inputs: text(true),
      outputs: text(true),
    },
    [],
    true,
  ),
  table('run_values', { tenant_id: key(), run_id: key(), hash: key(), body: text() }),
  table(
    'events',
    {
      tenant_id: key(),
      run_id: key(),
      seq: { type: 'integer', primary: true },
      event_id: text(),
      type: text(),
      step_id: text(true),
      at: text(),
      data: text(),
    },
    [
      { name: 'events_by_type', columns: ['tenant_id', 'type', 'at', 'run_id', 'seq'] },
      { name: 'events_by_time', columns: ['tenant_id', 'at', 'run_id', 'seq'] },
    ],
    true,
  ),
  table(
    'interactions',
    {
      tenant_id: key(),
      interaction_id: key(),
      run_id: text(),
      status: text(),
      created_at: text(),
      body: text(),
      open_due: text(true),
    },
    [
      { name: 'interactions_by_run', columns: ['tenant_id', 'run_id'] },
      { name: 'interactions_by_status', columns: ['tenant_id', 'status'] },
      { name: 'interactions_open_due', columns: ['tenant_id', 'open_due'] },
    ],
  ),
  table(
    'timers',
    {
      tenant_id: key(),
      timer_id: key(),
      run_id: text(),
      due_ms: big(),
      body: text(),
      lease_owner: text(true),
      lease_until: big(true),
    },
    [
      { name: 'timers_due', columns: ['due_ms'] },
      { name: 'timers_by_run', columns: ['tenant_id', 'run_id'] },
    ],
  ),
  table(
    'snapshots',
    {
      tenant_id: key(),
      snapshot_id: key(),
      run_id: text(),
      seq: int(),
      reason: text(),
      created_at: text(),
      checksum: text(),
      state: text(),
      segment_id: text(true),
      label: text(true),
    },
    [
      { name: 'snapshots_by_run', columns: ['tenant_id', 'run_id', 'seq'] },
      { name: 'snapshots_by_age', columns: ['tenant_id', 'created_at'] },
      { name: 'snapshots_by_segment', columns: ['tenant_id', 'segment_id', 'created_at', 'snapshot_id'] },
      { name: 'snapshots_by_time', columns: ['tenant_id', 'created_at', 'snapshot_id'] },
    ],
  ),
  table('audit', {
    tenant_id: key(),
    seq: { type: 'integer', primary: true },
    at: text(),
    hash: text(),
    body: text(),
  }),
  table('tenants', { tenant_id: key(), body: text() }),
  table('api_keys', { tenant_id: key(), key_id: key(), secret_hash: text(), body: text() }, [
    { name: 'api_keys_by_hash', columns: ['secret_hash'], unique: true },
  ]),
  table('segments', { tenant_id: key(), segment_id: key(), version: key(), put_seq: int(), body: text() }),
];
