import { createHash } from 'node:crypto';
import {
  type ApiKeyRecord,
  type AuditDraft,
  type AuditRecord,
  type Commit,
  type CommitResult,
  ConcurrencyError,
  chainAuditEntry,
  checkCommit,
  draftRegistryAudit,
  type EventListener,
  type EventQuery,
  eventPage,
  type InteractionRecord,
  type LeaseOptions,
  type ListEventsOptions,
  type ListInteractionsOptions,
  type ListRunsOptions,
  LlmteamError,
  normalizeEventQuery,
  type Page,
  type RegistryChange,
  type RegistryWrite,
  type RunRecord,
  type SegmentRecord,
  type SnapshotRecord,
  type StepStateRecord,
  type Store,
  type StoreCapabilities,
  type TenantRecord,
  type TimerRecord,
  type WorktrailEvent,
} from '@llmteam/core';
import { type DataSource, MigrationExecutor, type QueryResult, type QueryRunner } from 'typeorm';
import type { SqlRow } from './entities.js';
import { SqlStoreError } from './errors.js';
import { eventFromRow, eventQuerySql } from './event-query-sql.js';
import { SQL_SCHEMA_VERSION } from './migrations/index.js';

/** The SQL dialects the shared layer speaks. */
export type SqlDialect = 'sqlite' | 'postgres';

/** Result of one statement. */
export interface SqlResult {
  rows: SqlRow[];
  /** Rows inserted, updated or deleted. */
  affected: number;
}

/** Runs statements written with `?` placeholders on one connection. */
export interface SqlExecutor {
  exec(sql: string, params?: readonly unknown[]): Promise<SqlResult>;
}

/**
 * Runs `fn` between `begin` (the dialect's BEGIN) and COMMIT on one connection; a throw
 * rolls everything back and is rethrown.
 */
export async function runInTransaction<T>(
  tx: SqlExecutor,
  begin: string,
  fn: (tx: SqlExecutor) => Promise<T>,
): Promise<T> {
  await tx.exec(begin);
  try {
    const result = await fn(tx);
    await tx.exec('COMMIT');
    return result;
  } catch (error) {
    await tx.exec('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Port values whose JSON is at least this long are kept once per run in `run_values`,
 * addressed by their SHA-256, so a value that is a step's output and the next step's input
 * (or a run output) is stored once.
 */
const SHARED_VALUE_MIN_LENGTH = 1024;
/** Rows per multi-row INSERT, well under both databases' parameter limits. */
const ROWS_PER_STATEMENT = 200;
const TERMINAL = ['completed', 'failed', 'cancelled'];

/** Step fields kept in their own columns rather than in `data`. */
type StepRest = Omit<StepStateRecord, 'inputs' | 'outputs'>;

/**
 * The Store interface implemented once for SQLite and Postgres on TypeORM. The hot path
 * (commit, getRun, getSteps, listEvents) runs raw SQL through a QueryRunner; the schema is
 * created by versioned migrations at `init()`. Subclasses open the DataSource and decide
 * how transactions and reads are scheduled.
 */
export abstract class SqlStore implements Store {
  abstract readonly name: string;
  abstract readonly capabilities: StoreCapabilities;
  protected abstract readonly dialect: SqlDialect;
  protected dataSource?: DataSource;
  private readonly listeners = new Set<EventListener>();
  private readonly sqlCache = new Map<string, string>();
  private initializing?: Promise<void>;

  /** Opens and initializes the DataSource; maps connection failures to `LLMT_E_SQL_UNREACHABLE`. */
  protected abstract openDataSource(): Promise<DataSource>;
  /** Runs `fn` in one database transaction: all of it or nothing. */
  protected abstract transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs reads that need no transaction. */
  protected abstract read<T>(fn: (q: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs a lease or claim write. Leases are timing hints, never the guard against double
   * writes (commits are version-checked), so a store may trade their durability for speed.
   */
  protected leaseTransaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.transaction(fn);
  }
  /**
   * Runs one lease or claim statement (atomic on its own), inside {@link leaseTransaction}
   * unless the dialect can run it without one (SQLite: a single statement is its own
   * transaction).
   */
  protected leaseStatement(sql: string, params: readonly unknown[]): Promise<SqlResult> {
    return this.leaseTransaction((tx) => tx.exec(sql, params));
  }

  /** Called with the migration connection before migrating (Postgres: schema + lock). */
  protected async beforeMigrate(_runner: QueryRunner): Promise<void> {}
  /** Called after migrating, even when it failed (Postgres: unlock). */
  protected async afterMigrate(_runner: QueryRunner): Promise<void> {}
  /** Serializes audit appends of one tenant inside a transaction (Postgres: advisory lock). */
  protected async lockAuditChain(_tx: SqlExecutor, _tenantId: string): Promise<void> {}
  /**
   * Applies a commit without audit entries or timers to consume or remove as one
   * self-contained statement (atomic on its own), when the dialect can: `done`, or
   * `conflict` when the run is not at the expected version (nothing written), or
   * `unsupported` to use a transaction.
   */
  protected async commitInOneStatement(
    _header: RunHeader,
    _parts: RowPart[],
    _commit: Commit,
  ): Promise<'done' | 'conflict' | 'unsupported'> {
    return 'unsupported';
  }

  /**
   * Like {@link commitInOneStatement}, for a commit that also appends audit entries: returns
   * the chained entries it wrote, or `conflict`, or `unsupported` to use a transaction
   * (which reads each tenant's chain head). A dialect doing this must check, in the same
   * statement, that the heads it chained onto are still the heads.
   */
  protected async commitWithAuditInOneStatement(
    _header: RunHeader,
    _parts: RowPart[],
    _commit: Commit,
  ): Promise<AuditRecord[] | 'conflict' | 'unsupported'> {
    return 'unsupported';
  }

  /**
   * Writes a commit's run header and rows in fewer round trips, when the dialect can
   * (SQLite: one statement through a trigger). Returns false to use the generic path.
   * Must throw an error for which {@link isVersionConflict} is true when the run is not
   * at the expected version.
   */
  protected async writeCommit(
    _tx: SqlExecutor,
    _header: RunHeader,
    _parts: RowPart[],
    _commit: Commit,
  ): Promise<boolean> {
    return false;
  }

  /**
   * Writes a commit's rows inside its transaction, one statement per part. A dialect may
   * send them at once (Postgres: one statement of data-modifying CTEs, with its NOTIFY).
   */
  protected async writeRows(tx: SqlExecutor, parts: RowPart[], _commit: Commit): Promise<void> {
    for (const part of parts) await insertRows(tx, part.head, part.rows, part.tail);
  }

  async init(): Promise<void> {
    if (this.dataSource) return;
    this.initializing ??= this.open().finally(() => {
      this.initializing = undefined;
    });
    return this.initializing;
  }

  private async open(): Promise<void> {
    const dataSource = await this.openDataSource();
    try {
      await this.migrate(dataSource);
    } catch (error) {
      await dataSource.destroy().catch(() => undefined);
      throw error;
    }
    this.dataSource = dataSource;
  }

  private async migrate(dataSource: DataSource): Promise<void> {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await this.beforeMigrate(runner);
      const current = await this.schemaVersion(runner);
      if (current > SQL_SCHEMA_VERSION) {
        throw new SqlStoreError(
          'LLMT_E_SQL_SCHEMA_TOO_NEW',
          `${this.name}: the database has schema version ${current}, but this plugin knows versions up to ${SQL_SCHEMA_VERSION}. ` +
            'Upgrade the store plugin to the version that migrated this database, or point the store at another database.',
          { details: { store: this.name, found: current, known: SQL_SCHEMA_VERSION } },
        );
      }
      if (current < SQL_SCHEMA_VERSION) {
        const executor = new MigrationExecutor(dataSource, runner);
        // One transaction for all pending migrations: never a half-migrated database.
        executor.transaction = 'all';
        try {
          await executor.executePendingMigrations();
        } catch (error) {
          throw new SqlStoreError(
            'LLMT_E_SQL_MIGRATION',
            `${this.name}: migrating the schema from version ${current} to ${SQL_SCHEMA_VERSION} failed and was rolled back: ${(error as Error).message}. ` +
              'Fix the cause (permissions, a conflicting table) and start again; the database was left as it was.',
            { cause: error, details: { store: this.name } },
          );
        }
      }
    } finally {
      await this.afterMigrate(runner).catch(() => undefined);
      await runner.release();
    }
  }

  private async schemaVersion(runner: QueryRunner): Promise<number> {
    if (!(await runner.hasTable('llmteam_schema_version'))) return 0;
    const rows = (await runner.query('SELECT version FROM llmteam_schema_version WHERE id = 1')) as SqlRow[];
    return Number(rows[0]?.version ?? 0);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    const dataSource = this.dataSource;
    this.dataSource = undefined;
    if (!dataSource?.isInitialized) return;
    try {
      await this.beforeDestroy();
    } finally {
      await dataSource.destroy();
    }
  }

  /**
   * Called by `close()` once the store takes no new calls, before the DataSource is
   * destroyed (SQLite: waits for queued statements and finalizes its prepared ones).
   */
  protected async beforeDestroy(): Promise<void> {}

  /** The initialized DataSource, or a clear error. */
  protected ready(): DataSource {
    if (!this.dataSource) {
      throw new SqlStoreError(
        'LLMT_E_SQL_NOT_READY',
        `${this.name}: call init() before using the store (or it was closed).`,
        {
          details: { store: this.name },
        },
      );
    }
    return this.dataSource;
  }

  /** An executor over one QueryRunner, translating `?` placeholders for Postgres. */
  protected executor(runner: QueryRunner): SqlExecutor {
    return {
      exec: async (sql, params = []) => {
        const result = (await runner.query(this.translate(sql), params as unknown[], true)) as QueryResult;
        return { rows: (result.records as SqlRow[] | undefined) ?? [], affected: result.affected ?? 0 };
      },
    };
  }

  private translate(sql: string): string {
    if (this.dialect === 'sqlite') return sql;
    let out = this.sqlCache.get(sql);
    if (out === undefined) {
      let n = 0;
      out = sql.replace(/\?/g, () => `$${++n}`);
      // Multi-row statements vary with row counts; keep the cache bounded.
      if (this.sqlCache.size > 500) this.sqlCache.clear();
      this.sqlCache.set(sql, out);
    }
    return out;
  }

  // ---------------------------------------------------------------- commit

  async commit(commit: Commit): Promise<CommitResult> {
    this.ready();
    const { tenantId, runId, run } = commit;
    const { prevSeq } = checkCommit(commit);
    const events = commit.events ?? [];
    const firstSeq = prevSeq + 1;

    // Everything is encoded before the transaction opens, so it holds locks only for I/O.
    const values = new Map<string, string>();
    const outputs = encodePorts(run.outputs, values);
    const steps = (commit.steps ?? []).map((s) => {
      const { inputs, outputs: stepOutputs, ...rest } = s;
      return [
        tenantId,
        runId,
        s.stepId,
        s.status,
        JSON.stringify(rest satisfies StepRest),
        encodePorts(inputs, values),
        encodePorts(stepOutputs, values),
      ];
    });
    const eventRows = events.map((e) => [
      tenantId,
      runId,
      e.seq,
      e.event_id,
      e.type,
      e.step_id ?? null,
      e.timestamp,
      JSON.stringify(e.data ?? {}),
    ]);
    const consume = [...new Set(commit.timers?.consume ?? [])];
    const remove = commit.timers?.remove ?? [];
    const header: RunHeader =
      commit.expectedVersion === 0
        ? {
            kind: 'insert',
            params: [
              tenantId,
              runId,
              run.segmentId,
              run.segmentVersion,
              run.status,
              run.version,
              run.lastSeq,
              run.stepsCompleted,
              run.idempotencyKey ?? null,
              run.createdAt,
              run.updatedAt,
              run.completedAt ?? null,
              run.input === undefined ? null : JSON.stringify(run.input),
              outputs,
              runExtra(run),
            ],
          }
        : {
            kind: 'update',
            params: [
              run.segmentId,
              run.segmentVersion,
              run.status,
              run.version,
              run.lastSeq,
              run.stepsCompleted,
              run.updatedAt,
              run.completedAt ?? null,
              outputs,
              runExtra(run),
              tenantId,
              runId,
              commit.expectedVersion,
              prevSeq,
            ],
          };
    const parts = commitRows(commit, values, steps, eventRows);
    const conflict = async (tx: SqlExecutor): Promise<ConcurrencyError> => {
      const { rows } = await tx.exec(
        `SELECT version, last_seq FROM runs WHERE tenant_id = ? AND run_id = ?`,
        [tenantId, runId],
      );
      const found = rows[0];
      return new ConcurrencyError(
        found
          ? `run ${runId} is at version ${found.version} (last seq ${found.last_seq}), expected version ${commit.expectedVersion} (last seq ${prevSeq})`
          : `run ${runId} is at version none, expected ${commit.expectedVersion}`,
      );
    };
    const violation = (error: unknown): unknown => {
      if (!isUniqueViolation(error)) return error;
      const where = describeViolation(error);
      if (header.kind === 'insert' && where.includes('idempotency')) {
        return new ConcurrencyError(`idempotency key ${run.idempotencyKey} is taken by another run`, {
          cause: error,
        });
      }
      if (header.kind === 'insert' && /runs(_pkey|\.tenant_id)/.test(where)) {
        return new ConcurrencyError(`run ${runId} already exists`, { cause: error });
      }
      return new ConcurrencyError(`events ${firstSeq}.. of run ${runId} already exist`, { cause: error });
    };

    // The common step commit (no timers to consume or remove) may go to the database as one
    // self-contained statement where the dialect can do that.
    if (!consume.length && !remove.length) {
      let outcome: 'done' | 'conflict' | 'unsupported' | AuditRecord[];
      try {
        outcome = commit.audit?.length
          ? await this.commitWithAuditInOneStatement(header, parts, commit)
          : await this.commitInOneStatement(header, parts, commit);
      } catch (error) {
        throw violation(error);
      }
      if (outcome === 'conflict') throw await this.read(conflict);
      if (outcome !== 'unsupported') {
        const audit = outcome === 'done' ? [] : outcome;
        if (audit.length) this.onAuditAppended(audit);
        if (events.length && this.listeners.size) this.emit(events);
        return { audit };
      }
    }

    const audit = await this.transaction(async (tx) => {
      // Without timers to consume or remove, a dialect may write the whole commit at once.
      const fast = !consume.length && !remove.length;
      let written = false;
      try {
        written = fast && (await this.writeCommit(tx, header, parts, commit));
      } catch (error) {
        if (isVersionConflict(error)) throw await conflict(tx);
        throw violation(error);
      }
      if (!written) {
        if (header.kind === 'insert') {
          try {
            await tx.exec(`${INSERT_RUN_SQL} (${marks(15)})`, header.params);
          } catch (error) {
            throw violation(error);
          }
        } else {
          const updated = await tx.exec(
            `UPDATE runs SET segment_id = ?, segment_version = ?, status = ?, version = ?, last_seq = ?, steps_completed = ?, updated_at = ?, completed_at = ?, outputs = ?, extra = ? WHERE tenant_id = ? AND run_id = ? AND version = ? AND last_seq = ?`,
            header.params,
          );
          if (updated.affected !== 1) throw await conflict(tx);
        }
        if (consume.length) {
          const { affected } = await tx.exec(
            `DELETE FROM timers WHERE tenant_id = ? AND timer_id IN (${marks(consume.length)})`,
            [tenantId, ...consume],
          );
          if (affected !== consume.length)
            throw new ConcurrencyError(`a consumed timer already fired (${consume.join(', ')})`);
        }
        if (remove.length)
          await tx.exec(`DELETE FROM timers WHERE tenant_id = ? AND timer_id IN (${marks(remove.length)})`, [
            tenantId,
            ...remove,
          ]);
        try {
          await this.writeRows(tx, parts, commit);
        } catch (error) {
          throw violation(error);
        }
      }
      const chained = commit.audit?.length ? await this.appendAudit(tx, commit.audit) : [];
      return chained;
    });
    if (audit.length) this.onAuditAppended(audit);
    if (events.length && this.listeners.size) this.emit(events);
    return { audit };
  }

  /**
   * Called with the audit records a committed transaction appended, in chain order
   * (SQLite: remembers each tenant's head for its one-statement commits).
   */
  protected onAuditAppended(_records: AuditRecord[]): void {}

  /** Chains drafts onto their tenants' heads inside the caller's transaction. */
  private async appendAudit(tx: SqlExecutor, drafts: AuditDraft[]): Promise<AuditRecord[]> {
    const heads = new Map<string, Pick<AuditRecord, 'seq' | 'hash'> | undefined>();
    // Locks in a fixed order, so two commits touching the same tenants cannot deadlock.
    for (const tenantId of [...new Set(drafts.map((d) => d.tenantId))].sort()) {
      await this.lockAuditChain(tx, tenantId);
      const { rows } = await tx.exec(
        `SELECT seq, hash FROM audit WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1`,
        [tenantId],
      );
      heads.set(tenantId, rows[0] ? { seq: Number(rows[0].seq), hash: String(rows[0].hash) } : undefined);
    }
    const records = drafts.map((draft) => {
      const record = chainAuditEntry(draft, heads.get(draft.tenantId));
      heads.set(draft.tenantId, record);
      return record;
    });
    await insertRows(
      tx,
      `INSERT INTO audit (tenant_id, seq, at, hash, body) VALUES`,
      records.map((r) => [r.tenantId, r.seq, r.timestamp, r.hash, JSON.stringify(r)]),
    );
    return records;
  }

  /** Delivers events to this instance's listeners. */
  protected emit(events: WorktrailEvent[]): void {
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch {
        // A failing listener must not break the commit that already happened.
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Number of listeners, for subclasses that start a cross-process feed lazily. */
  protected get listenerCount(): number {
    return this.listeners.size;
  }

  // ---------------------------------------------------------------- reads

  async getRun(tenantId: string, runId: string): Promise<RunRecord | undefined> {
    this.ready();
    return this.read(async (q) => {
      const { rows } = await q.exec(`SELECT * FROM runs WHERE tenant_id = ? AND run_id = ?`, [
        tenantId,
        runId,
      ]);
      return rows[0] ? this.toRun(q, rows[0]) : undefined;
    });
  }

  async findRunByIdempotencyKey(tenantId: string, key: string): Promise<RunRecord | undefined> {
    this.ready();
    return this.read(async (q) => {
      const { rows } = await q.exec(`SELECT * FROM runs WHERE tenant_id = ? AND idempotency_key = ?`, [
        tenantId,
        key,
      ]);
      return rows[0] ? this.toRun(q, rows[0]) : undefined;
    });
  }

  async listRuns(tenantId: string, options: ListRunsOptions = {}): Promise<Page<RunRecord>> {
    this.ready();
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
    return this.read(async (q) => {
      const { rows } = await q.exec(
        `SELECT * FROM runs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, run_id DESC LIMIT ?`,
        [...params, limit + 1],
      );
      const page = rows.slice(0, limit);
      const items: RunRecord[] = [];
      for (const row of page) items.push(await this.toRun(q, row));
      const last = items[items.length - 1];
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.runId) : undefined,
      };
    });
  }

  async getSteps(tenantId: string, runId: string): Promise<StepStateRecord[]> {
    this.ready();
    return this.read(async (q) => {
      const { rows } = await q.exec(
        `SELECT step_id, data, inputs, outputs FROM step_states WHERE tenant_id = ? AND run_id = ?`,
        [tenantId, runId],
      );
      const shared = rows.some((r) => isShared(r.inputs) || isShared(r.outputs))
        ? await this.loadValues(q, tenantId, runId)
        : undefined;
      return rows.map((row) => {
        const where = `step_states(${tenantId}, ${runId}, ${row.step_id})`;
        const step = this.parse(row.data, where) as StepStateRecord;
        if (row.inputs != null) step.inputs = this.decodePorts(row.inputs as string, shared, where);
        if (row.outputs != null) step.outputs = this.decodePorts(row.outputs as string, shared, where);
        return step;
      });
    });
  }

  async listEvents(
    tenantId: string,
    runId: string,
    options: ListEventsOptions = {},
  ): Promise<WorktrailEvent[]> {
    this.ready();
    const params: unknown[] = [tenantId, runId, options.afterSeq ?? 0];
    let sql = `SELECT seq, event_id, type, step_id, at, data FROM events WHERE tenant_id = ? AND run_id = ? AND seq > ? ORDER BY seq`;
    if (options.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(options.limit);
    }
    return this.read(async (q) => {
      const { rows } = await q.exec(sql, params);
      return rows.map((r) => {
        const event: WorktrailEvent = {
          event_id: String(r.event_id),
          tenant_id: tenantId,
          run_id: runId,
          seq: Number(r.seq),
          type: String(r.type),
          timestamp: String(r.at),
          data: this.parse(r.data, `events(${tenantId}, ${runId}, ${r.seq})`) as Record<string, unknown>,
        };
        if (r.step_id != null) event.step_id = String(r.step_id);
        return event;
      });
    });
  }

  async queryEvents(tenantId: string, query: EventQuery = {}): Promise<Page<WorktrailEvent>> {
    const q = normalizeEventQuery(query);
    const { sql, params } = eventQuerySql(tenantId, q);
    const rows = await this.select(sql, params);
    return eventPage(
      rows.map((r) => eventFromRow(tenantId, r, (v, where) => this.parse(v, where))),
      q.limit,
    );
  }

  async getInteraction(tenantId: string, interactionId: string): Promise<InteractionRecord | undefined> {
    const rows = await this.select(
      `SELECT body FROM interactions WHERE tenant_id = ? AND interaction_id = ?`,
      [tenantId, interactionId],
    );
    return rows[0]
      ? (this.parse(rows[0].body, `interactions(${tenantId}, ${interactionId})`) as InteractionRecord)
      : undefined;
  }

  async listInteractions(
    tenantId: string,
    options: ListInteractionsOptions = {},
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
    const rows = await this.select(
      `SELECT interaction_id, body FROM interactions WHERE ${where.join(' AND ')} ORDER BY created_at, interaction_id`,
      params,
    );
    return rows.map(
      (r) => this.parse(r.body, `interactions(${tenantId}, ${r.interaction_id})`) as InteractionRecord,
    );
  }

  async listTimers(tenantId: string, runId: string): Promise<TimerRecord[]> {
    const rows = await this.select(
      `SELECT timer_id, body FROM timers WHERE tenant_id = ? AND run_id = ? ORDER BY due_ms, timer_id`,
      [tenantId, runId],
    );
    return rows.map((r) => this.parse(r.body, `timers(${tenantId}, ${r.timer_id})`) as TimerRecord);
  }

  async getSnapshot(tenantId: string, snapshotId: string): Promise<SnapshotRecord | undefined> {
    const rows = await this.select(`SELECT * FROM snapshots WHERE tenant_id = ? AND snapshot_id = ?`, [
      tenantId,
      snapshotId,
    ]);
    return rows[0] ? this.toSnapshot(rows[0]) : undefined;
  }

  async listSnapshots(tenantId: string, runId: string): Promise<SnapshotRecord[]> {
    const rows = await this.select(
      `SELECT * FROM snapshots WHERE tenant_id = ? AND run_id = ? ORDER BY seq, created_at, snapshot_id`,
      [tenantId, runId],
    );
    return rows.map((r) => this.toSnapshot(r));
  }

  async listAudit(tenantId: string, range: { from?: string; to?: string } = {}): Promise<AuditRecord[]> {
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
    const rows = await this.select(
      `SELECT seq, body FROM audit WHERE ${where.join(' AND ')} ORDER BY seq`,
      params,
    );
    return rows.map((r) => this.parse(r.body, `audit(${tenantId}, ${r.seq})`) as AuditRecord);
  }

  // ---------------------------------------------------------------- leases

  async claimDueTimers(options: LeaseOptions & { limit: number }): Promise<TimerRecord[]> {
    this.ready();
    const now = Date.parse(options.now);
    const until = now + options.leaseMs;
    // One statement: pick the due timers and lease them. Postgres skips rows another
    // transaction holds; SQLite has one writer at a time.
    const { rows } = await this.leaseStatement(
      `UPDATE timers SET lease_owner = ?, lease_until = ? WHERE (tenant_id, timer_id) IN (
         SELECT tenant_id, timer_id FROM timers WHERE due_ms <= ? AND (lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)
         ORDER BY due_ms LIMIT ?${this.skipLocked()}) RETURNING body`,
      [options.owner, until, now, now, options.owner, options.limit],
    );
    return rows
      .map((r) => this.parse(r.body, 'timers') as TimerRecord)
      .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
  }

  async nextTimerDue(): Promise<string | undefined> {
    const rows = await this.select(`SELECT body FROM timers ORDER BY due_ms LIMIT 1`, []);
    return rows[0] ? (this.parse(rows[0].body, 'timers') as TimerRecord).dueAt : undefined;
  }

  async claimRuns(
    options: LeaseOptions & { limit: number },
  ): Promise<Array<{ tenantId: string; runId: string }>> {
    this.ready();
    const now = Date.parse(options.now);
    const until = now + options.leaseMs;
    const { rows } = await this.leaseStatement(
      `UPDATE runs SET lease_owner = ?, lease_until = ? WHERE (tenant_id, run_id) IN (
         SELECT tenant_id, run_id FROM runs WHERE status IN ('pending', 'running') AND (lease_until IS NULL OR lease_until <= ?)
         ORDER BY created_at LIMIT ?${this.skipLocked()}) RETURNING tenant_id, run_id`,
      [options.owner, until, now, options.limit],
    );
    return rows.map((r) => ({ tenantId: String(r.tenant_id), runId: String(r.run_id) }));
  }

  /** `FOR UPDATE SKIP LOCKED` where the dialect has row locks: concurrent claimers take different rows. */
  private skipLocked(): string {
    return this.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  }

  async acquireLease(tenantId: string, runId: string, options: LeaseOptions): Promise<boolean> {
    this.ready();
    const now = Date.parse(options.now);
    const { affected } = await this.leaseStatement(
      `UPDATE runs SET lease_owner = ?, lease_until = ? WHERE tenant_id = ? AND run_id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until <= ?)`,
      [options.owner, now + options.leaseMs, tenantId, runId, options.owner, now],
    );
    return affected === 1;
  }

  async releaseLease(tenantId: string, runId: string, owner: string): Promise<void> {
    this.ready();
    await this.leaseStatement(
      `UPDATE runs SET lease_owner = NULL, lease_until = NULL WHERE tenant_id = ? AND run_id = ? AND lease_owner = ?`,
      [tenantId, runId, owner],
    );
  }

  // ---------------------------------------------------------------- registry

  async putTenant(tenant: TenantRecord, change?: RegistryChange): Promise<void> {
    await this.writeRegistry(
      `SELECT body FROM tenants WHERE tenant_id = ?`,
      [tenant.tenantId],
      `INSERT INTO tenants (tenant_id, body) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET body = excluded.body`,
      [tenant.tenantId, JSON.stringify(tenant)],
      (previous) => ({ kind: 'tenant', record: tenant, previous: previous as TenantRecord | undefined }),
      change,
    );
  }

  /**
   * A registry write and its audit entry in one transaction: reads the record it replaces
   * (`select`), writes (`upsert`), and appends the entry {@link draftRegistryAudit} makes.
   */
  private async writeRegistry(
    select: string,
    selectParams: unknown[],
    upsert: string,
    upsertParams: unknown[],
    write: (previous: unknown) => RegistryWrite,
    change: RegistryChange | undefined,
  ): Promise<void> {
    this.ready();
    const audit = await this.transaction(async (tx) => {
      const { rows } = await tx.exec(select, selectParams);
      const previous = rows[0] ? this.parse(rows[0].body, `registry(${selectParams.join(', ')})`) : undefined;
      await tx.exec(upsert, upsertParams);
      return this.appendAudit(tx, [draftRegistryAudit(write(previous), change)]);
    });
    this.onAuditAppended(audit);
  }

  async getTenant(tenantId: string): Promise<TenantRecord | undefined> {
    const rows = await this.select(`SELECT body FROM tenants WHERE tenant_id = ?`, [tenantId]);
    return rows[0] ? (this.parse(rows[0].body, `tenants(${tenantId})`) as TenantRecord) : undefined;
  }

  async listTenants(): Promise<TenantRecord[]> {
    const rows = await this.select(`SELECT tenant_id, body FROM tenants ORDER BY tenant_id`, []);
    return rows.map((r) => this.parse(r.body, `tenants(${r.tenant_id})`) as TenantRecord);
  }

  async putApiKey(key: ApiKeyRecord, change?: RegistryChange): Promise<void> {
    await this.writeRegistry(
      `SELECT body FROM api_keys WHERE tenant_id = ? AND key_id = ?`,
      [key.tenantId, key.keyId],
      `INSERT INTO api_keys (tenant_id, key_id, secret_hash, body) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, key_id) DO UPDATE SET secret_hash = excluded.secret_hash, body = excluded.body`,
      [key.tenantId, key.keyId, key.secretHash, JSON.stringify(key)],
      (previous) => ({ kind: 'api_key', record: key, previous: previous as ApiKeyRecord | undefined }),
      change,
    );
  }

  async findApiKeyByHash(secretHash: string): Promise<ApiKeyRecord | undefined> {
    const rows = await this.select(`SELECT key_id, body FROM api_keys WHERE secret_hash = ?`, [secretHash]);
    return rows[0] ? (this.parse(rows[0].body, `api_keys(${rows[0].key_id})`) as ApiKeyRecord) : undefined;
  }

  async listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.select(`SELECT key_id, body FROM api_keys WHERE tenant_id = ? ORDER BY key_id`, [
      tenantId,
    ]);
    return rows.map((r) => this.parse(r.body, `api_keys(${tenantId}, ${r.key_id})`) as ApiKeyRecord);
  }

  async putSegment(segment: SegmentRecord, change?: RegistryChange): Promise<void> {
    // `put_seq` orders versions by when they were stored: the latest put is the latest version.
    await this.writeRegistry(
      `SELECT body FROM segments WHERE tenant_id = ? AND segment_id = ? AND version = ?`,
      [segment.tenantId, segment.segmentId, segment.version],
      `INSERT INTO segments (tenant_id, segment_id, version, put_seq, body)
       VALUES (?, ?, ?, (SELECT COALESCE(MAX(put_seq), 0) + 1 FROM segments WHERE tenant_id = ? AND segment_id = ?), ?)
       ON CONFLICT (tenant_id, segment_id, version) DO UPDATE SET put_seq = excluded.put_seq, body = excluded.body`,
      [
        segment.tenantId,
        segment.segmentId,
        segment.version,
        segment.tenantId,
        segment.segmentId,
        JSON.stringify(segment),
      ],
      (previous) => ({ kind: 'segment', record: segment, previous: previous as SegmentRecord | undefined }),
      change,
    );
  }

  async getSegment(
    tenantId: string,
    segmentId: string,
    version?: string,
  ): Promise<SegmentRecord | undefined> {
    const rows =
      version === undefined
        ? await this.select(
            `SELECT body FROM segments WHERE tenant_id = ? AND segment_id = ? ORDER BY put_seq DESC LIMIT 1`,
            [tenantId, segmentId],
          )
        : await this.select(
            `SELECT body FROM segments WHERE tenant_id = ? AND segment_id = ? AND version = ?`,
            [tenantId, segmentId, version],
          );
    return rows[0]
      ? (this.parse(rows[0].body, `segments(${tenantId}, ${segmentId})`) as SegmentRecord)
      : undefined;
  }

  async listSegments(tenantId: string): Promise<SegmentRecord[]> {
    const rows = await this.select(
      `SELECT s.segment_id, s.body FROM segments s WHERE s.tenant_id = ? AND s.put_seq = (SELECT MAX(put_seq) FROM segments m WHERE m.tenant_id = s.tenant_id AND m.segment_id = s.segment_id) ORDER BY s.segment_id`,
      [tenantId],
    );
    return rows.map((r) => this.parse(r.body, `segments(${tenantId}, ${r.segment_id})`) as SegmentRecord);
  }

  // ---------------------------------------------------------------- erasure

  async eraseRun(tenantId: string, runId: string, audit: AuditDraft): Promise<void> {
    this.ready();
    const chained = await this.transaction(async (tx) => {
      await this.deleteRunRows(tx, tenantId, runId);
      return this.appendAudit(tx, [audit]);
    });
    this.onAuditAppended(chained);
  }

  /** Deletes a run and every row derived from it, inside the caller's transaction. */
  protected async deleteRunRows(tx: SqlExecutor, tenantId: string, runId: string): Promise<void> {
    for (const table of [
      'runs',
      'step_states',
      'run_values',
      'events',
      'interactions',
      'timers',
      'snapshots',
    ]) {
      await tx.exec(`DELETE FROM ${table} WHERE tenant_id = ? AND run_id = ?`, [tenantId, runId]);
    }
  }

  /**
   * Deletes terminal runs finished before `runsBefore` (with everything derived from them)
   * and snapshots taken before `snapshotsBefore`, for one tenant, in one transaction, and
   * appends the audit entry `audit` makes of what was deleted (none when nothing was).
   * Used by `sweepRetention`.
   */
  async deleteExpired(
    tenantId: string,
    cutoffs: { runsBefore?: string; snapshotsBefore?: string },
    audit?: (deleted: { runs: string[]; snapshots: number }) => AuditDraft,
  ): Promise<{ runs: string[]; snapshots: number }> {
    this.ready();
    let chained: AuditRecord[] = [];
    const deleted = await this.transaction(async (tx) => {
      const runs: string[] = [];
      if (cutoffs.runsBefore) {
        const { rows } = await tx.exec(
          `SELECT run_id FROM runs WHERE tenant_id = ? AND status IN (${marks(TERMINAL.length)}) AND COALESCE(completed_at, updated_at) < ?`,
          [tenantId, ...TERMINAL, cutoffs.runsBefore],
        );
        for (const r of rows) {
          await this.deleteRunRows(tx, tenantId, String(r.run_id));
          runs.push(String(r.run_id));
        }
      }
      let snapshots = 0;
      if (cutoffs.snapshotsBefore) {
        ({ affected: snapshots } = await tx.exec(
          `DELETE FROM snapshots WHERE tenant_id = ? AND created_at < ?`,
          [tenantId, cutoffs.snapshotsBefore],
        ));
      }
      if (audit && (runs.length || snapshots))
        chained = await this.appendAudit(tx, [audit({ runs, snapshots })]);
      return { runs, snapshots };
    });
    this.onAuditAppended(chained);
    return deleted;
  }

  // ---------------------------------------------------------------- helpers

  private async select(sql: string, params: unknown[]): Promise<SqlRow[]> {
    this.ready();
    return this.read(async (q) => (await q.exec(sql, params)).rows);
  }

  /** Parses a JSON column, or fails with a typed error naming the store and the row. */
  protected parse(text: unknown, where: string): unknown {
    try {
      return JSON.parse(String(text));
    } catch (error) {
      throw new SqlStoreError(
        'LLMT_E_SQL_CORRUPT_ROW',
        `${this.name}: row ${where} holds invalid JSON (${(error as Error).message}). ` +
          'Restore the row from a backup, or delete it (for a snapshot: take a new one) and try again.',
        { cause: error, details: { store: this.name, row: where } },
      );
    }
  }

  private toSnapshot(row: SqlRow): SnapshotRecord {
    const where = `snapshots(${row.tenant_id}, ${row.snapshot_id})`;
    return {
      snapshotId: String(row.snapshot_id),
      tenantId: String(row.tenant_id),
      runId: String(row.run_id),
      seq: Number(row.seq),
      reason: String(row.reason) as SnapshotRecord['reason'],
      createdAt: String(row.created_at),
      state: this.parse(row.state, where) as SnapshotRecord['state'],
      checksum: String(row.checksum),
    };
  }

  private async toRun(q: SqlExecutor, row: SqlRow): Promise<RunRecord> {
    const where = `runs(${row.tenant_id}, ${row.run_id})`;
    const run = {
      ...(this.parse(row.extra, where) as object),
      runId: String(row.run_id),
      tenantId: String(row.tenant_id),
      segmentId: String(row.segment_id),
      segmentVersion: String(row.segment_version),
      status: String(row.status),
      input: row.input == null ? undefined : this.parse(row.input, where),
      version: Number(row.version),
      lastSeq: Number(row.last_seq),
      stepsCompleted: Number(row.steps_completed),
      createdAt: String(row.created_at),
      updatedAt: String(row.updated_at),
    } as RunRecord;
    if (row.idempotency_key != null) run.idempotencyKey = String(row.idempotency_key);
    if (row.completed_at != null) run.completedAt = String(row.completed_at);
    if (row.outputs != null) {
      const shared = isShared(row.outputs) ? await this.loadValues(q, run.tenantId, run.runId) : undefined;
      run.outputs = this.decodePorts(String(row.outputs), shared, where);
    }
    return run;
  }

  private async loadValues(q: SqlExecutor, tenantId: string, runId: string): Promise<Map<string, string>> {
    const { rows } = await q.exec(`SELECT hash, body FROM run_values WHERE tenant_id = ? AND run_id = ?`, [
      tenantId,
      runId,
    ]);
    return new Map(rows.map((r) => [String(r.hash), String(r.body)]));
  }

  private decodePorts(
    text: string,
    shared: Map<string, string> | undefined,
    where: string,
  ): Record<string, unknown> {
    const parsed = this.parse(text, where);
    if (!Array.isArray(parsed)) return parsed as Record<string, unknown>;
    const [inline, refs] = parsed as [Record<string, unknown>, Record<string, string>];
    for (const [port, hash] of Object.entries(refs)) {
      const body = shared?.get(hash);
      if (body === undefined) {
        throw new SqlStoreError(
          'LLMT_E_SQL_CORRUPT_ROW',
          `${this.name}: row ${where} refers to a stored value ${hash} that is missing. Restore the run from a backup or a snapshot.`,
          {
            details: { store: this.name, row: where },
          },
        );
      }
      inline[port] = this.parse(body, `run_values(${hash})`);
    }
    return inline;
  }
}

/**
 * The run header of a commit: the 15 `INSERT INTO runs` values of a new run, or the 10
 * `SET` values, tenant, run, expected version and expected last seq of an update.
 */
export type RunHeader = { kind: 'insert'; params: unknown[] } | { kind: 'update'; params: unknown[] };

/** Message of the error a dialect raises when a commit's run is not at the expected version. */
export const VERSION_CONFLICT_MESSAGE = 'llmteam:version-conflict';

/** True for the error raised with {@link VERSION_CONFLICT_MESSAGE}. */
export function isVersionConflict(error: unknown): boolean {
  return (driverError(error).message ?? '').includes(VERSION_CONFLICT_MESSAGE);
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
    head: `INSERT INTO interactions (tenant_id, interaction_id, run_id, status, created_at, body) VALUES`,
    tail: ` ON CONFLICT (tenant_id, interaction_id) DO UPDATE SET run_id = excluded.run_id, status = excluded.status, created_at = excluded.created_at, body = excluded.body`,
    columns: 6,
  },
  snapshots: {
    head: `INSERT INTO snapshots (tenant_id, snapshot_id, run_id, seq, reason, created_at, checksum, state) VALUES`,
    tail: ` ON CONFLICT (tenant_id, snapshot_id) DO UPDATE SET run_id = excluded.run_id, seq = excluded.seq, reason = excluded.reason, created_at = excluded.created_at, checksum = excluded.checksum, state = excluded.state`,
    columns: 8,
  },
} as const;

/** The `INSERT INTO runs` of a new run (15 values). */
export const INSERT_RUN_SQL = `INSERT INTO runs (tenant_id, run_id, segment_id, segment_version, status, version, last_seq, steps_completed, idempotency_key, created_at, updated_at, completed_at, input, outputs, extra) VALUES`;

/** The rows a commit writes besides its header, table by table. */
function commitRows(
  commit: Commit,
  values: Map<string, string>,
  steps: unknown[][],
  eventRows: unknown[][],
): RowPart[] {
  const { tenantId, runId } = commit;
  const parts: RowPart[] = [];
  const part = (table: RowPart['table'], rows: unknown[][]) => {
    if (rows.length)
      parts.push({ table, head: ROW_STATEMENTS[table].head, rows, tail: ROW_STATEMENTS[table].tail });
  };
  part(
    'timers',
    (commit.timers?.add ?? []).map((t) => [
      t.tenantId,
      t.timerId,
      t.runId,
      Date.parse(t.dueAt),
      JSON.stringify(t),
    ]),
  );
  part(
    'run_values',
    [...values].map(([hash, body]) => [tenantId, runId, hash, body]),
  );
  part('step_states', steps);
  part('events', eventRows);
  part(
    'interactions',
    (commit.interactions ?? []).map((i) => [
      i.tenantId,
      i.interactionId,
      i.runId,
      i.status,
      i.createdAt,
      JSON.stringify(i),
    ]),
  );
  part(
    'snapshots',
    (commit.snapshots ?? []).map((s) => [
      s.tenantId,
      s.snapshotId,
      s.runId,
      s.seq,
      s.reason,
      s.createdAt,
      s.checksum,
      JSON.stringify(s.state),
    ]),
  );
  return parts;
}

/** Rows for one table: `head` up to `VALUES`, the value tuples, and an `ON CONFLICT` tail. */
export interface RowPart {
  table: keyof typeof ROW_STATEMENTS;
  head: string;
  rows: unknown[][];
  tail: string;
}

/** `?, ?, ?` for `n` parameters. */
export function marks(n: number): string {
  return new Array<string>(n).fill('?').join(', ');
}

/** Inserts rows with multi-row VALUES lists, in chunks. */
export async function insertRows(tx: SqlExecutor, head: string, rows: unknown[][], tail = ''): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    const tuple = `(${marks(chunk[0].length)})`;
    await tx.exec(`${head} ${new Array<string>(chunk.length).fill(tuple).join(', ')}${tail}`, chunk.flat());
  }
}

/** Run header fields that have no column of their own (everything but `input` and `outputs`). */
function runExtra(run: RunRecord): string {
  const {
    runId: _r,
    tenantId: _t,
    segmentId: _s,
    segmentVersion: _v,
    status: _st,
    input: _i,
    outputs: _o,
    version: _ve,
    lastSeq: _l,
    stepsCompleted: _sc,
    idempotencyKey: _k,
    createdAt: _c,
    updatedAt: _u,
    completedAt: _ca,
    ...extra
  } = run;
  return JSON.stringify(extra);
}

/**
 * Encodes a ports object: small values inline, large ones by hash into `values`. The
 * result is a JSON object, or `[inline, refs]` when some value is shared.
 */
function encodePorts(ports: Record<string, unknown> | undefined, values: Map<string, string>): string | null {
  if (ports === undefined || ports === null) return null;
  let inline = '';
  let refs = '';
  for (const port of Object.keys(ports)) {
    const json = JSON.stringify(ports[port]);
    if (json === undefined) continue;
    const name = JSON.stringify(port);
    if (json.length >= SHARED_VALUE_MIN_LENGTH) {
      const hash = createHash('sha256').update(json).digest('hex');
      values.set(hash, json);
      refs += `${refs ? ',' : ''}${name}:"${hash}"`;
    } else {
      inline += `${inline ? ',' : ''}${name}:${json}`;
    }
  }
  return refs ? `[{${inline}},{${refs}}]` : `{${inline}}`;
}

function isShared(column: unknown): boolean {
  return typeof column === 'string' && column.startsWith('[');
}

function encodeCursor(createdAt: string, runId: string): string {
  return Buffer.from(JSON.stringify([createdAt, runId])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string'))
      return value as [string, string];
  } catch {
    // fall through to the typed error
  }
  throw new LlmteamError(
    'LLMT_E_INVALID_ARGUMENT',
    `listRuns: cursor "${cursor}" is not one this store returned; pass nextCursor from a previous page`,
  );
}

/** The driver error below TypeORM's QueryFailedError. */
function driverError(error: unknown): {
  code?: string;
  errno?: number;
  message?: string;
  constraint?: string;
} {
  const e = error as { driverError?: unknown };
  return (e?.driverError ?? error ?? {}) as { code?: string; message?: string; constraint?: string };
}

/** True for a unique or primary-key violation on SQLite or Postgres. */
export function isUniqueViolation(error: unknown): boolean {
  const d = driverError(error);
  if (d.code === '23505') return true;
  return d.code === 'SQLITE_CONSTRAINT' && /UNIQUE|PRIMARY KEY/.test(d.message ?? '');
}

function describeViolation(error: unknown): string {
  const d = driverError(error);
  return `${d.constraint ?? ''} ${d.message ?? ''}`;
}
