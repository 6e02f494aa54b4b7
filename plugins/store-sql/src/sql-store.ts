import {
  type ApiKeyRecord,
  type AuditDraft,
  type AuditRecord,
  type Commit,
  type CommitResult,
  ConcurrencyError,
  type EventListener,
  type EventQuery,
  eventPage,
  type InteractionRecord,
  type LeaseOptions,
  type ListEventsOptions,
  type ListInteractionsOptions,
  type ListRunsOptions,
  normalizeEventQuery,
  type Page,
  type RegistryChange,
  type RunRecord,
  type SegmentRecord,
  type SnapshotQuery,
  type SnapshotRecord,
  type StepStateRecord,
  type Store,
  type StoreCapabilities,
  TERMINAL_RUN_STATUSES,
  type TenantRecord,
  type TimerRecord,
  type WorktrailEvent,
} from '@llmteam/core';
import type { DataSource, QueryResult, QueryRunner } from 'typeorm';
import { type CommitPlan, explainConflict, planCommit, violationError } from './commit-plan.js';
import type { SqlRow } from './entities.js';
import { SqlStoreError } from './errors.js';
import { eventFromRow, eventQuerySql } from './event-query-sql.js';
import { appendAudit } from './sql-audit.js';
import { RowCodec } from './sql-codecs.js';
import {
  insertRows,
  isVersionConflict,
  type SqlDialect,
  type SqlExecutor,
  type SqlResult,
  versionConflict,
} from './sql-executor.js';
import { SqlLeases } from './sql-leases.js';
import { migrateSchema } from './sql-migrate.js';
import { SqlReads } from './sql-reads.js';
import {
  type RegistryStatement,
  registryStatements,
  SqlRegistryReads,
  writeRegistry,
} from './sql-registry.js';
import {
  deleteTimersSql,
  ERASE_SQL,
  INSERT_RUN_SQL,
  LEASE_SQL,
  marks,
  READ_SQL,
  RUN_TABLES,
  UPDATE_RUN_SQL,
} from './sql-text.js';

/** Writes a plan's header and rows inside a transaction. */
export type PlanWriter = (tx: SqlExecutor, plan: CommitPlan) => Promise<void>;

/**
 * The Store interface implemented once for SQLite and Postgres on TypeORM. The hot path
 * (commit, getRun, getSteps, listEvents) runs raw SQL through a QueryRunner; the schema is
 * created by versioned migrations at `init()`. Subclasses open the DataSource, decide how
 * transactions and reads are scheduled, and may execute a commit plan their own faster way
 * ({@link executeCommit}).
 */
export abstract class SqlStore implements Store {
  abstract readonly name: string;
  abstract readonly capabilities: StoreCapabilities;
  protected abstract readonly dialect: SqlDialect;
  protected dataSource?: DataSource;
  private readonly listeners = new Set<EventListener>();
  private readonly sqlCache = new Map<string, string>();
  private initializing?: Promise<void>;
  private parts?: { codec: RowCodec; reads: SqlReads; registry: SqlRegistryReads; leases: SqlLeases };

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
   * Called with the audit records a committed transaction appended, in chain order
   * (SQLite: remembers each tenant's head for its one-statement commits).
   */
  protected onAuditAppended(_records: AuditRecord[]): void {}
  /**
   * Called by `close()` once the store takes no new calls, before the DataSource is
   * destroyed (SQLite: waits for queued statements and finalizes its prepared ones).
   */
  protected async beforeDestroy(): Promise<void> {}

  /**
   * The dialect hook: executes a checked, encoded commit and returns the audit records it
   * chained. The default is the generic transaction ({@link commitInTransaction}); a dialect
   * overrides it with its fast path (one statement, fewer round trips) and falls back to
   * the generic one for what the fast path cannot take. A run not at the expected version
   * throws {@link versionConflict}; unique violations are mapped to conflicts by the caller.
   */
  protected executeCommit(plan: CommitPlan): Promise<AuditRecord[]> {
    return this.commitInTransaction(plan);
  }

  /**
   * The generic way to execute a plan: one transaction that writes it (with `write`, by
   * default {@link writePlan}) and chains its audit entries.
   */
  protected commitInTransaction(plan: CommitPlan, write: PlanWriter = (tx, p) => this.writePlan(tx, p)) {
    return this.transaction(async (tx) => {
      await write(tx, plan);
      return plan.audit.length ? appendAudit(tx, plan.audit, (t, id) => this.lockAuditChain(t, id)) : [];
    });
  }

  /** Writes a plan's header and timer deletions ({@link writeHeader}), then its rows. */
  protected async writePlan(tx: SqlExecutor, plan: CommitPlan): Promise<void> {
    await this.writeHeader(tx, plan);
    for (const part of plan.parts) await insertRows(tx, part.head, part.rows, part.tail);
  }

  /** Inserts or version-checks and updates the run header, then consumes and removes timers. */
  protected async writeHeader(tx: SqlExecutor, plan: CommitPlan): Promise<void> {
    const { header, consume, remove } = plan;
    const { tenantId } = plan.commit;
    if (header.kind === 'insert') await tx.exec(`${INSERT_RUN_SQL} (${marks(15)})`, header.params);
    else if ((await tx.exec(UPDATE_RUN_SQL, header.params)).affected !== 1) throw versionConflict();
    if (consume.length) {
      const { affected } = await tx.exec(deleteTimersSql(consume.length), [tenantId, ...consume]);
      if (affected !== consume.length)
        throw new ConcurrencyError(`a consumed timer already fired (${consume.join(', ')})`);
    }
    if (remove.length) await tx.exec(deleteTimersSql(remove.length), [tenantId, ...remove]);
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
      await migrateSchema(dataSource, this.name, {
        before: (runner) => this.beforeMigrate(runner),
        after: (runner) => this.afterMigrate(runner),
      });
    } catch (error) {
      await dataSource.destroy().catch(() => undefined);
      throw error;
    }
    this.dataSource = dataSource;
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

  /** Decoders, reads and lease statements, made once the subclass has its name. */
  private get p() {
    if (!this.parts) {
      const codec = new RowCodec(this.name);
      const skipLocked = this.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
      this.parts = {
        codec,
        reads: new SqlReads(codec),
        registry: new SqlRegistryReads(codec),
        leases: new SqlLeases((sql, params) => this.leaseStatement(sql, params), codec, skipLocked),
      };
    }
    return this.parts;
  }

  /** Parses a JSON column, or fails with a typed error naming the store and the row. */
  protected parse(text: unknown, where: string): unknown {
    return this.p.codec.parse(text, where);
  }

  // ---------------------------------------------------------------- run journal

  async commit(commit: Commit): Promise<CommitResult> {
    this.ready();
    const plan = planCommit(commit);
    let audit: AuditRecord[];
    try {
      audit = await this.executeCommit(plan);
    } catch (error) {
      throw isVersionConflict(error)
        ? await this.read((q) => explainConflict(q, plan))
        : violationError(plan, error);
    }
    if (audit.length) this.onAuditAppended(audit);
    if (commit.events?.length && this.listeners.size) this.emit(commit.events);
    return { audit };
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

  private async reading<T>(fn: (q: SqlExecutor, reads: SqlReads) => Promise<T>): Promise<T> {
    this.ready();
    return this.read((q) => fn(q, this.p.reads));
  }

  getRun(tenantId: string, runId: string): Promise<RunRecord | undefined> {
    return this.reading((q, r) => r.run(q, READ_SQL.run, [tenantId, runId]));
  }
  findRunByIdempotencyKey(tenantId: string, key: string): Promise<RunRecord | undefined> {
    return this.reading((q, r) => r.run(q, READ_SQL.runByKey, [tenantId, key]));
  }
  listRuns(tenantId: string, options: ListRunsOptions = {}): Promise<Page<RunRecord>> {
    return this.reading((q, r) => r.runs(q, tenantId, options));
  }
  getSteps(tenantId: string, runId: string): Promise<StepStateRecord[]> {
    return this.reading((q, r) => r.steps(q, tenantId, runId));
  }
  listEvents(tenantId: string, runId: string, options: ListEventsOptions = {}): Promise<WorktrailEvent[]> {
    return this.reading((q, r) => r.events(q, tenantId, runId, options));
  }
  async queryEvents(tenantId: string, query: EventQuery = {}): Promise<Page<WorktrailEvent>> {
    const q = normalizeEventQuery(query);
    const { sql, params } = eventQuerySql(tenantId, q);
    return this.reading(async (x) => {
      const { rows } = await x.exec(sql, params);
      return eventPage(
        rows.map((r) => eventFromRow(tenantId, r, (v, where) => this.parse(v, where))),
        q.limit,
      );
    });
  }
  getInteraction(tenantId: string, interactionId: string): Promise<InteractionRecord | undefined> {
    return this.reading((q, r) => r.interaction(q, tenantId, interactionId));
  }
  listInteractions(tenantId: string, options: ListInteractionsOptions = {}): Promise<InteractionRecord[]> {
    return this.reading((q, r) => r.interactions(q, tenantId, options));
  }
  listTimers(tenantId: string, runId: string): Promise<TimerRecord[]> {
    return this.reading((q, r) => r.timers(q, tenantId, runId));
  }
  getSnapshot(tenantId: string, snapshotId: string): Promise<SnapshotRecord | undefined> {
    return this.reading((q, r) => r.snapshot(q, tenantId, snapshotId));
  }
  listSnapshots(tenantId: string, runId: string): Promise<SnapshotRecord[]> {
    return this.reading((q, r) => r.snapshots(q, tenantId, runId));
  }
  querySnapshots(tenantId: string, query: SnapshotQuery): Promise<Page<SnapshotRecord>> {
    return this.reading((q, r) => r.snapshotPage(q, tenantId, query));
  }

  async deleteSnapshot(tenantId: string, snapshotId: string, audit: AuditDraft): Promise<boolean> {
    this.ready();
    let chained: AuditRecord[] = [];
    const deleted = await this.transaction(async (tx) => {
      const { affected } = await tx.exec(ERASE_SQL.snapshot, [tenantId, snapshotId]);
      if (!affected) return false;
      chained = await appendAudit(tx, [audit], (t, id) => this.lockAuditChain(t, id));
      return true;
    });
    this.onAuditAppended(chained);
    return deleted;
  }
  listAudit(tenantId: string, range: { from?: string; to?: string } = {}): Promise<AuditRecord[]> {
    return this.reading((q, r) => r.audit(q, tenantId, range));
  }

  // ---------------------------------------------------------------- work queue

  async claimDueTimers(options: LeaseOptions & { limit: number }): Promise<TimerRecord[]> {
    this.ready();
    return this.p.leases.claimDueTimers(options);
  }
  async nextTimerDue(): Promise<string | undefined> {
    const { rows } = await this.reading((q) => q.exec(LEASE_SQL.nextTimer, []));
    return rows[0] ? (this.parse(rows[0].body, 'timers') as TimerRecord).dueAt : undefined;
  }
  async claimRuns(
    options: LeaseOptions & { limit: number },
  ): Promise<Array<{ tenantId: string; runId: string }>> {
    this.ready();
    return this.p.leases.claimRuns(options);
  }
  async acquireLease(tenantId: string, runId: string, options: LeaseOptions): Promise<boolean> {
    this.ready();
    return this.p.leases.acquireLease(tenantId, runId, options);
  }
  async releaseLease(tenantId: string, runId: string, owner: string): Promise<void> {
    this.ready();
    return this.p.leases.releaseLease(tenantId, runId, owner);
  }

  // ---------------------------------------------------------------- registry

  async putTenant(tenant: TenantRecord, change?: RegistryChange): Promise<void> {
    return this.writeRegistry(registryStatements.tenant(tenant), change);
  }
  async putApiKey(key: ApiKeyRecord, change?: RegistryChange): Promise<void> {
    return this.writeRegistry(registryStatements.apiKey(key), change);
  }
  async putSegment(segment: SegmentRecord, change?: RegistryChange): Promise<void> {
    return this.writeRegistry(registryStatements.segment(segment), change);
  }

  /** A registry write and its audit entry in one transaction. */
  private async writeRegistry(
    statement: RegistryStatement,
    change: RegistryChange | undefined,
  ): Promise<void> {
    this.ready();
    const audit = await this.transaction(async (tx) => {
      const draft = await writeRegistry(tx, this.p.codec, statement, change);
      return appendAudit(tx, [draft], (t, id) => this.lockAuditChain(t, id));
    });
    this.onAuditAppended(audit);
  }

  private async registryRead<T>(fn: (q: SqlExecutor, reads: SqlRegistryReads) => Promise<T>): Promise<T> {
    this.ready();
    return this.read((q) => fn(q, this.p.registry));
  }

  getTenant(tenantId: string): Promise<TenantRecord | undefined> {
    return this.registryRead((q, r) => r.tenant(q, tenantId));
  }
  listTenants(): Promise<TenantRecord[]> {
    return this.registryRead((q, r) => r.tenants(q));
  }
  findApiKeyByHash(secretHash: string): Promise<ApiKeyRecord | undefined> {
    return this.registryRead((q, r) => r.apiKeyByHash(q, secretHash));
  }
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    return this.registryRead((q, r) => r.apiKeys(q, tenantId));
  }
  getSegment(tenantId: string, segmentId: string, version?: string): Promise<SegmentRecord | undefined> {
    return this.registryRead((q, r) => r.segment(q, tenantId, segmentId, version));
  }
  listSegments(tenantId: string): Promise<SegmentRecord[]> {
    return this.registryRead((q, r) => r.segments(q, tenantId));
  }

  // ---------------------------------------------------------------- erasure

  async eraseRun(tenantId: string, runId: string, audit: AuditDraft): Promise<void> {
    this.ready();
    const chained = await this.transaction(async (tx) => {
      await this.deleteRunRows(tx, tenantId, runId);
      return appendAudit(tx, [audit], (t, id) => this.lockAuditChain(t, id));
    });
    this.onAuditAppended(chained);
  }

  /** Deletes a run and every row derived from it, inside the caller's transaction. */
  protected async deleteRunRows(tx: SqlExecutor, tenantId: string, runId: string): Promise<void> {
    for (const table of RUN_TABLES) await tx.exec(ERASE_SQL.runRows(table), [tenantId, runId]);
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
        const { rows } = await tx.exec(ERASE_SQL.expiredRuns(TERMINAL_RUN_STATUSES.length), [
          tenantId,
          ...TERMINAL_RUN_STATUSES,
          cutoffs.runsBefore,
        ]);
        for (const r of rows) {
          await this.deleteRunRows(tx, tenantId, String(r.run_id));
          runs.push(String(r.run_id));
        }
      }
      let snapshots = 0;
      if (cutoffs.snapshotsBefore) {
        ({ affected: snapshots } = await tx.exec(ERASE_SQL.expiredSnapshots, [
          tenantId,
          cutoffs.snapshotsBefore,
        ]));
      }
      if (audit && (runs.length || snapshots))
        chained = await appendAudit(tx, [audit({ runs, snapshots })], (t, id) => this.lockAuditChain(t, id));
      return { runs, snapshots };
    });
    this.onAuditAppended(chained);
    return deleted;
  }
}
