import {
  type AuditPageQuery,
  type AuditRecord,
  type AuditRow,
  auditRecordFromRow,
  checkAuditPage,
  checkSnapshotQuery,
  encodeSnapshotCursor,
  type InteractionRecord,
  type ListEventsOptions,
  type ListInteractionsOptions,
  type ListRunsOptions,
  OPEN_INTERACTION_STATUSES,
  type Page,
  type RunRecord,
  type RunState,
  type RunStateQuery,
  type SnapshotQuery,
  type SnapshotRecord,
  type StepStateRecord,
  type TimerRecord,
  type WorktrailEvent,
} from '@llmteam/core';
import type { SqlRow } from './entities.js';
import { refersToShared } from './shared-values.js';
import { decodeCursor, encodeCursor, isShared, type RowCodec } from './sql-codecs.js';
import type { SqlDialect, SqlExecutor, SqlResult } from './sql-executor.js';
import { marks, READ_SQL, RUN_STATE_COLUMNS } from './sql-text.js';

/** The run journal's reads, each on one executor, decoded by one codec. */
export class SqlReads {
  constructor(
    private readonly codec: RowCodec,
    private readonly dialect: SqlDialect = 'postgres',
    /** SQLite: told the connection's `data_version` with which a run's state was read. */
    private readonly readAt?: (tenantId: string, runId: string, dataVersion: number) => void,
  ) {}

  private values(q: SqlExecutor, tenantId: string, runId: string): Promise<Map<string, string>> {
    return q
      .exec(READ_SQL.values, [tenantId, runId])
      .then(({ rows }) => new Map(rows.map((r) => [String(r.hash), String(r.body)])));
  }

  async run(q: SqlExecutor, sql: string, params: unknown[]): Promise<RunRecord | undefined> {
    const { rows } = await q.exec(sql, params);
    const row = rows[0];
    return row
      ? this.codec.run(row, () => this.values(q, String(row.tenant_id), String(row.run_id)))
      : undefined;
  }

  /** A run, its steps, its open interactions (and the one named) and its lease. */
  async runState(q: SqlExecutor, tenantId: string, query: RunStateQuery): Promise<RunState | undefined> {
    if (this.dialect === 'sqlite') return this.runStateAtOnce(q, tenantId, query);
    const open = OPEN_INTERACTION_STATUSES;
    let runId = query.runId;
    let found: SqlResult['rows'] | undefined;
    if (query.interactionId !== undefined) {
      ({ rows: found } = await q.exec(READ_SQL.runStateByInteraction(open.length), [
        tenantId,
        tenantId,
        query.interactionId,
        ...open,
        query.interactionId,
      ]));
      if (!found.length) return undefined;
      runId = String(found[0].run_id);
    }
    const { rows } = await q.exec(READ_SQL.run, [tenantId, runId]);
    const row = rows[0];
    if (!row || runId === undefined) return undefined;
    const id = runId;
    const steps = (await q.exec(READ_SQL.steps, [tenantId, id])).rows;
    found ??= (await q.exec(READ_SQL.runStateInteractions(open.length), [tenantId, id, ...open, null])).rows;
    return this.decodeRunState(q, tenantId, row, steps, found);
  }

  /**
   * SQLite: the run's row, steps and interactions in one statement (each statement is a
   * trip to the driver's thread pool); the run's shared values only when a row refers to them.
   */
  private async runStateAtOnce(
    q: SqlExecutor,
    tenantId: string,
    query: RunStateQuery,
  ): Promise<RunState | undefined> {
    const open = OPEN_INTERACTION_STATUSES;
    const byInteraction = query.interactionId !== undefined;
    // Each part: its tenant, then the run (by id, or the interaction's in the same tenant).
    const run = [tenantId, ...(byInteraction ? [tenantId, query.interactionId] : [query.runId ?? null])];
    const { rows: tagged } = await q.exec(READ_SQL.runStateSqlite(open.length, byInteraction), [
      ...run,
      ...run,
      ...run,
      ...open,
      query.interactionId ?? null,
    ]);
    let row: SqlRow | undefined;
    let dataVersion: number | undefined;
    const steps: SqlRow[] = [];
    const interactions: SqlRow[] = [];
    for (const t of tagged) {
      const kind = t.k as keyof typeof RUN_STATE_COLUMNS;
      if (kind === 'v') {
        dataVersion = Number(t.c1);
        continue;
      }
      const named: SqlRow = {};
      RUN_STATE_COLUMNS[kind].forEach((column, i) => {
        named[column] = t[`c${i + 1}`];
      });
      if (kind === 'r') row = named;
      else (kind === 's' ? steps : interactions).push(named);
    }
    // By interaction: one that does not exist (in this tenant) names no run.
    if (!row || (byInteraction && !interactions.length)) return undefined;
    if (dataVersion !== undefined) this.readAt?.(tenantId, String(row.run_id), dataVersion);
    return this.decodeRunState(q, tenantId, row, steps, interactions);
  }

  private async decodeRunState(
    q: SqlExecutor,
    tenantId: string,
    row: SqlRow,
    stepRows: SqlRow[],
    interactionRows: SqlRow[],
  ): Promise<RunState> {
    const runId = String(row.run_id);
    const run = await this.codec.run(row, () => this.values(q, tenantId, runId));
    return {
      run,
      steps: await this.decodeSteps(q, tenantId, runId, stepRows),
      interactions: interactionRows.map((r) => this.codec.interaction(r, tenantId)),
      ...(row.lease_owner != null
        ? {
            lease: { owner: String(row.lease_owner), until: new Date(Number(row.lease_until)).toISOString() },
          }
        : {}),
    };
  }

  async runs(q: SqlExecutor, tenantId: string, options: ListRunsOptions): Promise<Page<RunRecord>> {
    const limit = options.limit ?? 50;
    const where = ['tenant_id = ?'];
    const params: unknown[] = [tenantId];
    if (options.status) {
      where.push('status = ?');
      params.push(options.status);
    }
    if (options.segmentId) {
      where.push('segment_id = ?');
      params.push(options.segmentId);
    }
    if (options.after !== undefined) {
      const [createdAt, runId] = decodeCursor(options.after);
      where.push('(created_at < ? OR (created_at = ? AND run_id < ?))');
      params.push(createdAt, createdAt, runId);
    }
    const { rows } = await q.exec(READ_SQL.runs(where), [...params, limit + 1]);
    const items: RunRecord[] = [];
    for (const row of rows.slice(0, limit))
      items.push(await this.codec.run(row, () => this.values(q, tenantId, String(row.run_id))));
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.runId) : undefined,
    };
  }

  async steps(q: SqlExecutor, tenantId: string, runId: string): Promise<StepStateRecord[]> {
    const { rows } = await q.exec(READ_SQL.steps, [tenantId, runId]);
    return this.decodeSteps(q, tenantId, runId, rows);
  }

  private async decodeSteps(
    q: SqlExecutor,
    tenantId: string,
    runId: string,
    rows: SqlRow[],
  ): Promise<StepStateRecord[]> {
    const shared = rows.some((r) => refersToShared(r.data) || isShared(r.inputs) || isShared(r.outputs))
      ? await this.values(q, tenantId, runId)
      : undefined;
    // A value several steps pass on is decoded once.
    const memo = new Map<string, unknown>();
    return rows.map((row) => {
      const where = `step_states(${tenantId}, ${runId}, ${row.step_id})`;
      // `data` holds what has no column; rows written before kept the key and status in it too.
      const step = {
        ...(this.codec.decode(String(row.data), shared, where, memo) as object),
        tenantId,
        runId,
        stepId: String(row.step_id),
        status: String(row.status),
      } as StepStateRecord;
      if (row.inputs != null) step.inputs = this.codec.decodePorts(row.inputs as string, shared, where, memo);
      if (row.outputs != null)
        step.outputs = this.codec.decodePorts(row.outputs as string, shared, where, memo);
      return step;
    });
  }

  async events(
    q: SqlExecutor,
    tenantId: string,
    runId: string,
    options: ListEventsOptions,
  ): Promise<WorktrailEvent[]> {
    const params: unknown[] = [tenantId, runId, options.afterSeq ?? 0];
    let sql: string = READ_SQL.events;
    if (options.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(options.limit);
    }
    const { rows } = await q.exec(sql, params);
    return rows.map((r) => this.codec.event(r, tenantId, runId));
  }

  async interaction(
    q: SqlExecutor,
    tenantId: string,
    interactionId: string,
  ): Promise<InteractionRecord | undefined> {
    const { rows } = await q.exec(READ_SQL.interaction, [tenantId, interactionId]);
    return rows[0] ? this.codec.interaction(rows[0], tenantId) : undefined;
  }

  async interactions(
    q: SqlExecutor,
    tenantId: string,
    options: ListInteractionsOptions,
  ): Promise<InteractionRecord[]> {
    const where = ['tenant_id = ?'];
    const params: unknown[] = [tenantId];
    const statuses = options.status === undefined ? undefined : ([] as string[]).concat(options.status);
    if (statuses) {
      if (!statuses.length) return [];
      where.push(`status IN (${marks(statuses.length)})`);
      params.push(...statuses);
    }
    if (options.runId) {
      where.push('run_id = ?');
      params.push(options.runId);
    }
    params.push(options.limit ?? 2_147_483_647);
    let sql = READ_SQL.interactions(where);
    if (options.order === 'due') {
      // Open requests have a key, closed ones none: `> after` skips both the NULLs and the previous pages.
      where.splice(1, 0, 'open_due > ?');
      params.splice(1, 0, options.after ?? '');
      sql = READ_SQL.interactionsDue(where);
    }
    const { rows } = await q.exec(sql, params);
    return rows.map((r) => this.codec.interaction(r, tenantId));
  }

  async timers(q: SqlExecutor, tenantId: string, runId: string): Promise<TimerRecord[]> {
    const { rows } = await q.exec(READ_SQL.timers, [tenantId, runId]);
    return rows.map((r) => this.codec.parse(r.body, `timers(${tenantId}, ${r.timer_id})`) as TimerRecord);
  }

  async snapshot(q: SqlExecutor, tenantId: string, snapshotId: string): Promise<SnapshotRecord | undefined> {
    const { rows } = await q.exec(READ_SQL.snapshot, [tenantId, snapshotId]);
    return rows[0] ? this.codec.snapshot(rows[0]) : undefined;
  }

  async snapshots(q: SqlExecutor, tenantId: string, runId: string): Promise<SnapshotRecord[]> {
    const { rows } = await q.exec(READ_SQL.snapshots, [tenantId, runId]);
    return rows.map((r) => this.codec.snapshot(r));
  }

  async snapshotPage(q: SqlExecutor, tenantId: string, query: SnapshotQuery): Promise<Page<SnapshotRecord>> {
    const { limit, after } = checkSnapshotQuery(query);
    const where = ['tenant_id = ?'];
    const params: unknown[] = [tenantId];
    for (const [column, value] of [
      ['run_id', query.runId],
      ['segment_id', query.segmentId],
      ['reason', query.reason],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    if (after) {
      where.push('(created_at < ? OR (created_at = ? AND snapshot_id < ?))');
      params.push(after.createdAt, after.createdAt, after.snapshotId);
    }
    const { rows } = await q.exec(READ_SQL.snapshotPage(where), [...params, limit + 1]);
    const items = rows.slice(0, limit).map((r) => this.codec.snapshot(r));
    const last = items[items.length - 1];
    return { items, ...(rows.length > limit && last ? { nextCursor: encodeSnapshotCursor(last) } : {}) };
  }

  async audit(
    q: SqlExecutor,
    tenantId: string,
    range: { from?: string; to?: string },
  ): Promise<AuditRecord[]> {
    const where = ['tenant_id = ?'];
    const params: unknown[] = [tenantId];
    if (range.from) {
      where.push('at >= ?');
      params.push(range.from);
    }
    if (range.to) {
      where.push('at <= ?');
      params.push(range.to);
    }
    const { rows } = await q.exec(READ_SQL.audit(where), params);
    return rows.map((r) => auditRecordFromRow(tenantId, auditRow(r)));
  }

  async auditPage(q: SqlExecutor, tenantId: string, page: AuditPageQuery): Promise<AuditRow[]> {
    checkAuditPage(page);
    const { rows } = await q.exec(READ_SQL.auditPage, [tenantId, page.afterSeq ?? 0, page.limit]);
    return rows.map(auditRow);
  }
}

/** An audit entry's row as stored (`Store.listAuditRows`): the body exactly as written. */
function auditRow(row: Record<string, unknown>): AuditRow {
  return {
    seq: Number(row.seq),
    timestamp: String(row.at),
    hash: String(row.hash),
    body: typeof row.body === 'string' ? row.body : String(row.body),
  };
}
