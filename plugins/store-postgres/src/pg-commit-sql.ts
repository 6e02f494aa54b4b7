/**
 * The SQL of a Postgres commit: a whole commit as one statement of data-modifying CTEs (the
 * fast path), or a plan's rows and NOTIFY in one statement of the commit's transaction.
 */
import {
  type CommitPlan,
  INSERT_RUN_SQL,
  insertRows,
  leaseParams,
  marks,
  type RowPart,
  type SqlExecutor,
} from '@llmteam/store-sql';

/** A `pg_notify` to send with a commit. */
export interface PgNotify {
  channel: string;
  payload: string;
}

/** Casts for VALUES columns that are not text (by table, by column index). */
const COLUMN_CASTS: Partial<Record<RowPart['table'], Record<number, string>>> = {
  events: { 2: 'int' },
  timers: { 3: 'bigint' },
  snapshots: { 3: 'int' },
};

/** Above this many parameters a commit's rows go in one statement per table. */
const MAX_COMBINED_PARAMS = 30_000;

/** True when a plan's rows (plus its header's `extra` parameters) fit in one statement. */
export function fitsOneStatement(plan: CommitPlan, extra = plan.header.params.length): boolean {
  const count = plan.parts.reduce((sum, p) => sum + p.rows.length * p.rows[0].length, extra);
  return count <= MAX_COMBINED_PARAMS && !plan.parts.some((p) => p.rows.length > 1000);
}

/**
 * The whole commit as one statement (header, rows, NOTIFY); it returns `written` = 1 when
 * the header was written, 0 at a stale version (then nothing else was either).
 */
export function oneStatementCommit(
  plan: CommitPlan,
  notify: PgNotify | undefined,
): { sql: string; params: unknown[] } {
  const { header, parts } = plan;
  const params: unknown[] = [...header.params];
  const n = () => `$${params.length}`;
  const bind = (value: unknown, cast?: string) => {
    params.push(value);
    return cast ? `${n()}::${cast}` : n();
  };
  // The lease goes into the header's own write: one statement must not update a row twice.
  const [owner, until, , , holder, now] = leaseParams(plan);
  const head =
    header.kind === 'insert'
      ? plan.lease
        ? `r AS (${INSERT_RUN_SQL.replace(') VALUES', ', lease_owner, lease_until) VALUES')} (${header.params.map((_, i) => `$${i + 1}`).join(', ')}, ${bind(owner, 'text')}, ${bind(until, 'bigint')}) RETURNING 1)`
        : `r AS (${INSERT_RUN_SQL} (${header.params.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING 1)`
      : plan.lease
        ? `r AS (UPDATE runs SET segment_id = $1, segment_version = $2, status = $3, version = $4, last_seq = $5, steps_completed = $6, updated_at = $7, completed_at = $8, outputs = $9, extra = $10, lease_owner = ${bind(owner, 'text')}, lease_until = ${bind(until, 'bigint')} WHERE tenant_id = $11 AND run_id = $12 AND version = $13 AND last_seq = $14 AND (lease_owner IS NULL OR lease_owner = ${bind(holder, 'text')} OR lease_until <= ${bind(now, 'bigint')}) RETURNING 1)`
        : `r AS (UPDATE runs SET segment_id = $1, segment_version = $2, status = $3, version = $4, last_seq = $5, steps_completed = $6, updated_at = $7, completed_at = $8, outputs = $9, extra = $10 WHERE tenant_id = $11 AND run_id = $12 AND version = $13 AND last_seq = $14 RETURNING 1)`;
  // Every row is written only if the run header was: a stale version writes nothing.
  const ctes = parts.map((p, i) => {
    const casts = COLUMN_CASTS[p.table] ?? {};
    const tuples = p.rows.map((row) => `(${row.map((v, c) => bind(v, casts[c])).join(', ')})`).join(', ');
    const columns = p.head.slice(p.head.indexOf('('), p.head.lastIndexOf(')') + 1);
    const table = p.head.slice('INSERT INTO '.length, p.head.indexOf(' ('));
    return `w${i} AS (INSERT INTO ${table} ${columns} SELECT * FROM (VALUES ${tuples}) AS v WHERE EXISTS (SELECT 1 FROM r)${p.tail})`;
  });
  const notified = notify
    ? `, (SELECT pg_notify(${bind(notify.channel)}, ${bind(notify.payload)}) FROM r) AS notified`
    : '';
  return {
    sql: `WITH ${[head, ...ctes].join(', ')} SELECT (SELECT count(*) FROM r)::int AS written${notified}`,
    params,
  };
}

/** A plan's rows and its NOTIFY in the commit's transaction, in one statement when they fit. */
export async function writePlanRows(
  tx: SqlExecutor,
  plan: CommitPlan,
  notify: PgNotify | undefined,
): Promise<void> {
  const { parts } = plan;
  if (!fitsOneStatement(plan, 0)) {
    for (const part of parts) await insertRows(tx, part.head, part.rows, part.tail);
    if (notify) await tx.exec(`SELECT pg_notify(?, ?)`, [notify.channel, notify.payload]);
    return;
  }
  // One round trip for every row of the commit and its NOTIFY: data-modifying CTEs all
  // run, in one statement of the commit's transaction. NOTIFY is sent at COMMIT only.
  const ctes = parts.map(
    (p, i) =>
      `w${i} AS (${p.head} ${new Array<string>(p.rows.length).fill(`(${marks(p.rows[0].length)})`).join(', ')}${p.tail})`,
  );
  const values = parts.flatMap((p) => p.rows.flat());
  const select = notify ? `SELECT pg_notify(?, ?)` : 'SELECT 1';
  if (notify) values.push(notify.channel, notify.payload);
  if (!ctes.length) {
    if (notify) await tx.exec(select, values);
    return;
  }
  await tx.exec(`WITH ${ctes.join(', ')} ${select}`, values);
}
