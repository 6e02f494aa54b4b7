/**
 * Every SQL statement the shared store runs, in one place. Placeholders are `?`; the
 * Postgres executor numbers them. Statements that vary with a count are functions.
 */

/** `?, ?, ?` for `n` parameters. */
export function marks(n: number): string {
  return new Array<string>(n).fill('?').join(', ');
}

/** The statement of each table a commit writes rows to: `head` up to `VALUES`, and `tail`. */
export const ROW_STATEMENTS = {
  timers: {
    head: `INSERT INTO timers (tenant_id, timer_id, run_id, due_ms, body) VALUES`,
    tail: ` ON CONFLICT (tenant_id, timer_id) DO UPDATE SET run_id = excluded.run_id, due_ms = excluded.due_ms, body = excluded.body, lease_owner = NULL, lease_until = NULL`,
    columns: 5,
  },
  run_values: {
    head: `INSERT INTO run_values (tenant_id, run_id, hash, body) VALUES`,
    tail: ` ON CONFLICT DO NOTHING`,
    columns: 4,
  },
  step_states: {
    head: `INSERT INTO step_states (tenant_id, run_id, step_id, status, data, inputs, outputs) VALUES`,
    tail: ` ON CONFLICT (tenant_id, run_id, step_id) DO UPDATE SET status = excluded.status, data = excluded.data, inputs = excluded.inputs, outputs = excluded.outputs`,
    columns: 7,
  },
  // Events are plain inserts: the only rows of a commit that can collide.
  events: {
    head: `INSERT INTO events (tenant_id, run_id, seq, event_id, type, step_id, at, data) VALUES`,
    tail: '',
    columns: 8,
  },
  interactions: {
    head: `INSERT INTO interactions (tenant_id, interaction_id, run_id, status, created_at, body, open_due) VALUES`,
    tail: ` ON CONFLICT (tenant_id, interaction_id) DO UPDATE SET run_id = excluded.run_id, status = excluded.status, created_at = excluded.created_at, body = excluded.body, open_due = excluded.open_due`,
    columns: 7,
  },
  snapshots: {
    head: `INSERT INTO snapshots (tenant_id, snapshot_id, run_id, seq, reason, created_at, checksum, state, segment_id, label) VALUES`,
    tail: ` ON CONFLICT (tenant_id, snapshot_id) DO UPDATE SET run_id = excluded.run_id, seq = excluded.seq, reason = excluded.reason, created_at = excluded.created_at, checksum = excluded.checksum, state = excluded.state, segment_id = excluded.segment_id, label = excluded.label`,
    columns: 10,
  },
} as const;

/** The columns an interaction is read from: its key, run, status and creation time, and the rest in `body`. */
const INTERACTION_COLUMN_NAMES = ['interaction_id', 'run_id', 'status', 'created_at', 'body'] as const;
const INTERACTION_COLUMNS = INTERACTION_COLUMN_NAMES.join(', ');
/** The columns of `runs`, in the order {@link READ_SQL.runStateSqlite} returns them. */
export const RUN_COLUMNS = [
  'tenant_id',
  'run_id',
  'segment_id',
  'segment_version',
  'status',
  'version',
  'last_seq',
  'steps_completed',
  'idempotency_key',
  'created_at',
  'updated_at',
  'completed_at',
  'input',
  'outputs',
  'extra',
  'lease_owner',
  'lease_until',
] as const;
/** The columns of a step row, as its reads return them. */
const STEP_COLUMNS = ['step_id', 'status', 'data', 'inputs', 'outputs'] as const;
/** The tagged rows of {@link READ_SQL.runStateSqlite}, named back by kind. */
export const RUN_STATE_COLUMNS = {
  r: RUN_COLUMNS,
  s: STEP_COLUMNS,
  i: INTERACTION_COLUMN_NAMES,
  v: ['data_version'],
} as const;
/** {@link READ_SQL.runStateSqlite}'s text by open-status count and kind, built once. */
const runStateSqliteTexts = new Map<string, string>();

/** The `INSERT INTO runs` of a new run (15 values). */
export const INSERT_RUN_SQL = `INSERT INTO runs (tenant_id, run_id, segment_id, segment_version, status, version, last_seq, steps_completed, idempotency_key, created_at, updated_at, completed_at, input, outputs, extra) VALUES`;

/** The version-checked update of a run header (10 `SET` values, tenant, run, version, last seq). */
export const UPDATE_RUN_SQL = `UPDATE runs SET segment_id = ?, segment_version = ?, status = ?, version = ?, last_seq = ?, steps_completed = ?, updated_at = ?, completed_at = ?, outputs = ?, extra = ? WHERE tenant_id = ? AND run_id = ? AND version = ? AND last_seq = ?`;

/** Where a run is now (and who leases it), to explain a conflict. */
export const RUN_VERSION_SQL = `SELECT version, last_seq, lease_owner, lease_until FROM runs WHERE tenant_id = ? AND run_id = ?`;

/** Deletes `n` timers of a tenant by id. */
export const deleteTimersSql = (n: number) =>
  `DELETE FROM timers WHERE tenant_id = ? AND timer_id IN (${marks(n)})`;

/** Head of a tenant's audit chain. */
export const AUDIT_HEAD_SQL = `SELECT seq, hash FROM audit WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1`;
/** Appends audit records (multi-row VALUES follow). */
export const INSERT_AUDIT_SQL = `INSERT INTO audit (tenant_id, seq, at, hash, body) VALUES`;

/** Reads. */
export const READ_SQL = {
  run: `SELECT * FROM runs WHERE tenant_id = ? AND run_id = ?`,
  runByKey: `SELECT * FROM runs WHERE tenant_id = ? AND idempotency_key = ?`,
  runs: (where: string[]) =>
    `SELECT * FROM runs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, run_id DESC LIMIT ?`,
  values: `SELECT hash, body FROM run_values WHERE tenant_id = ? AND run_id = ?`,
  steps: `SELECT ${STEP_COLUMNS.join(', ')} FROM step_states WHERE tenant_id = ? AND run_id = ?`,
  events: `SELECT seq, event_id, type, step_id, at, data FROM events WHERE tenant_id = ? AND run_id = ? AND seq > ? ORDER BY seq`,
  interaction: `SELECT ${INTERACTION_COLUMNS} FROM interactions WHERE tenant_id = ? AND interaction_id = ?`,
  /** A run's interactions of the given statuses (`n` of them) and the one named. */
  runStateInteractions: (n: number) =>
    `SELECT ${INTERACTION_COLUMNS} FROM interactions WHERE tenant_id = ? AND run_id = ? AND (status IN (${marks(n)}) OR interaction_id = ?)`,
  /** The run of an interaction, with the run's interactions of the given statuses (`n` of them). */
  runStateByInteraction: (n: number) =>
    `SELECT ${INTERACTION_COLUMNS} FROM interactions WHERE tenant_id = ? AND run_id = (SELECT run_id FROM interactions WHERE tenant_id = ? AND interaction_id = ?) AND (status IN (${marks(n)}) OR interaction_id = ?)`,
  /**
   * SQLite: a run's row, steps and interactions (its open ones and the one named) in one
   * statement, each row tagged by `k` (`r`, `s`, `i`) with its columns as `c1`, `c2`, ...,
   * and the connection's `data_version` as it read them (`v`).
   * Each of the three parts takes the tenant and the run (by id, or `byInteraction`: tenant
   * and interaction id); the last then the `n` open statuses and the interaction named.
   */
  runStateSqlite: (n: number, byInteraction: boolean) => {
    const key = `${n}:${byInteraction}`;
    let text = runStateSqliteTexts.get(key);
    if (text !== undefined) return text;
    const run = byInteraction
      ? '(SELECT run_id FROM interactions WHERE tenant_id = ? AND interaction_id = ?)'
      : '?';
    const pad = (k: number) => ', NULL'.repeat(RUN_COLUMNS.length - k);
    text =
      `SELECT 'r' AS k, ${RUN_COLUMNS.map((c, i) => `${c} AS c${i + 1}`).join(', ')} FROM runs WHERE tenant_id = ? AND run_id = ${run}` +
      ` UNION ALL SELECT 's', ${STEP_COLUMNS.join(', ')}${pad(STEP_COLUMNS.length)} FROM step_states WHERE tenant_id = ? AND run_id = ${run}` +
      ` UNION ALL SELECT 'i', ${INTERACTION_COLUMNS}${pad(INTERACTION_COLUMN_NAMES.length)} FROM interactions WHERE tenant_id = ? AND run_id = ${run} AND (status IN (${marks(n)}) OR interaction_id = ?)` +
      ` UNION ALL SELECT 'v', data_version${pad(1)} FROM pragma_data_version`;
    runStateSqliteTexts.set(key, text);
    return text;
  },
  interactions: (where: string[]) =>
    `SELECT ${INTERACTION_COLUMNS} FROM interactions WHERE ${where.join(' AND ')} ORDER BY created_at, interaction_id LIMIT ?`,
  /** Open requests in SLA order from `interactions_open_due` (NULL keys, closed requests, sort apart). */
  interactionsDue: (where: string[]) =>
    `SELECT ${INTERACTION_COLUMNS} FROM interactions WHERE ${where.join(' AND ')} ORDER BY open_due LIMIT ?`,
  timers: `SELECT timer_id, body FROM timers WHERE tenant_id = ? AND run_id = ? ORDER BY due_ms, timer_id`,
  snapshot: `SELECT * FROM snapshots WHERE tenant_id = ? AND snapshot_id = ?`,
  snapshots: `SELECT * FROM snapshots WHERE tenant_id = ? AND run_id = ? ORDER BY seq, created_at, snapshot_id`,
  snapshotPage: (where: string[]) =>
    `SELECT * FROM snapshots WHERE ${where.join(' AND ')} ORDER BY created_at DESC, snapshot_id DESC LIMIT ?`,
  audit: (where: string[]) =>
    `SELECT seq, at, hash, body FROM audit WHERE ${where.join(' AND ')} ORDER BY seq`,
  auditPage: `SELECT seq, at, hash, body FROM audit WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
} as const;

/** Lease and claim statements; `skipLocked` is the dialect's row-lock skipping clause or ''. */
export const LEASE_SQL = {
  claimTimers: (skipLocked: string) =>
    `UPDATE timers SET lease_owner = ?, lease_until = ? WHERE (tenant_id, timer_id) IN (
         SELECT tenant_id, timer_id FROM timers WHERE due_ms <= ? AND (lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)
         ORDER BY due_ms LIMIT ?${skipLocked}) RETURNING body`,
  nextTimer: `SELECT body FROM timers ORDER BY due_ms LIMIT 1`,
  claimRuns: (skipLocked: string) =>
    `UPDATE runs SET lease_owner = ?, lease_until = ? WHERE (tenant_id, run_id) IN (
         SELECT tenant_id, run_id FROM runs WHERE status IN ('pending', 'running') AND (lease_until IS NULL OR lease_until <= ?)
         ORDER BY created_at LIMIT ?${skipLocked}) RETURNING tenant_id, run_id`,
  acquire: `UPDATE runs SET lease_owner = ?, lease_until = ? WHERE tenant_id = ? AND run_id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until <= ?)`,
  release: `UPDATE runs SET lease_owner = NULL, lease_until = NULL WHERE tenant_id = ? AND run_id = ? AND lease_owner = ?`,
  /**
   * The lease a commit takes (owner, until) or gives back (NULL, NULL), unless another
   * owner holds a live one (owner, now): inside the commit's transaction, after its header.
   */
  commit: `UPDATE runs SET lease_owner = ?, lease_until = ? WHERE tenant_id = ? AND run_id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until <= ?)`,
} as const;

/** Registry statements: the read of the record a write replaces, the upsert, and the reads. */
export const REGISTRY_SQL = {
  tenant: `SELECT body FROM tenants WHERE tenant_id = ?`,
  putTenant: `INSERT INTO tenants (tenant_id, body) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET body = excluded.body`,
  tenants: `SELECT tenant_id, body FROM tenants ORDER BY tenant_id`,
  apiKey: `SELECT body FROM api_keys WHERE tenant_id = ? AND key_id = ?`,
  putApiKey: `INSERT INTO api_keys (tenant_id, key_id, secret_hash, body) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, key_id) DO UPDATE SET secret_hash = excluded.secret_hash, body = excluded.body`,
  apiKeyByHash: `SELECT key_id, body FROM api_keys WHERE secret_hash = ?`,
  apiKeys: `SELECT key_id, body FROM api_keys WHERE tenant_id = ? ORDER BY key_id`,
  segmentVersion: `SELECT body FROM segments WHERE tenant_id = ? AND segment_id = ? AND version = ?`,
  // `put_seq` orders versions by when they were stored: the latest put is the latest version.
  putSegment: `INSERT INTO segments (tenant_id, segment_id, version, put_seq, body)
       VALUES (?, ?, ?, (SELECT COALESCE(MAX(put_seq), 0) + 1 FROM segments WHERE tenant_id = ? AND segment_id = ?), ?)
       ON CONFLICT (tenant_id, segment_id, version) DO UPDATE SET put_seq = excluded.put_seq, body = excluded.body`,
  latestSegment: `SELECT body FROM segments WHERE tenant_id = ? AND segment_id = ? ORDER BY put_seq DESC LIMIT 1`,
  segments: `SELECT s.segment_id, s.body FROM segments s WHERE s.tenant_id = ? AND s.put_seq = (SELECT MAX(put_seq) FROM segments m WHERE m.tenant_id = s.tenant_id AND m.segment_id = s.segment_id) ORDER BY s.segment_id`,
} as const;

/** Tables holding a run's rows, deleted together when the run goes. */
export const RUN_TABLES = [
  'runs',
  'step_states',
  'run_values',
  'events',
  'interactions',
  'timers',
  'snapshots',
] as const;

/** Erasure and retention statements. */
export const ERASE_SQL = {
  runRows: (table: (typeof RUN_TABLES)[number]) => `DELETE FROM ${table} WHERE tenant_id = ? AND run_id = ?`,
  expiredRuns: (terminal: number) =>
    `SELECT run_id FROM runs WHERE tenant_id = ? AND status IN (${marks(terminal)}) AND COALESCE(completed_at, updated_at) < ?`,
  // Checkpoints are restore points a caller chose to keep: retention leaves them.
  expiredSnapshots: `DELETE FROM snapshots WHERE tenant_id = ? AND created_at < ? AND reason <> 'checkpoint' RETURNING snapshot_id`,
  runSnapshots: `SELECT snapshot_id FROM snapshots WHERE tenant_id = ? AND run_id = ?`,
  snapshot: `DELETE FROM snapshots WHERE tenant_id = ? AND snapshot_id = ?`,
} as const;

/** Schema version of a migrated database. */
export const SCHEMA_VERSION_SQL = 'SELECT version FROM llmteam_schema_version WHERE id = 1';
