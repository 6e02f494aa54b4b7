import {
  type AuditRecord,
  admissionRefusal,
  type Commit,
  type CommitResult,
  ConcurrencyError,
  type EventListener,
  type StoreCapabilities,
  type WorktrailEvent,
} from '@llmteam/core';
import type { DataSource, QueryResult, QueryRunner } from 'typeorm';
import {
  type CommitPlan,
  explainConflict,
  leaseHeldError,
  leaseParams,
  planCommit,
  violationError,
} from './commit-plan.js';
import type { SqlRow } from './entities.js';
import { SqlStoreError } from './errors.js';
import { admissionCountSql } from './sql-admission.js';
import { appendAudit } from './sql-audit.js';
import { RowCodec } from './sql-codecs.js';
import {
  insertRows,
  isLeaseHeldRefusal,
  isVersionConflict,
  LEASE_HELD_MESSAGE,
  type SqlDialect,
  type SqlExecutor,
  type SqlResult,
  versionConflict,
} from './sql-executor.js';
import { SqlLeases } from './sql-leases.js';
import { migrateSchema } from './sql-migrate.js';
import { SqlReads } from './sql-reads.js';
import { SqlRegistryReads } from './sql-registry.js';
import { deleteTimersSql, INSERT_RUN_SQL, LEASE_SQL, marks, UPDATE_RUN_SQL } from './sql-text.js';
import { StoredValues } from './stored-values.js';

/** Writes a plan's header and rows inside a transaction. */
export type PlanWriter = (tx: SqlExecutor, plan: CommitPlan) => Promise<void>;

/**
 * The connection, transaction and commit half of `SqlStore`: opening and migrating
 * the database, statement translation, the one atomic commit and event delivery. The
 * reads, leases, registry and erasure are in `SqlStore` itself.
 */
export abstract class SqlStoreBase {
  abstract readonly name: string;
  abstract readonly capabilities: StoreCapabilities;
  protected abstract readonly dialect: SqlDialect;
  protected dataSource?: DataSource;
  private readonly listeners = new Set<EventListener>();
  private readonly sqlCache = new Map<string, string>();
  private initializing?: Promise<void>;
  /** Shared values each run is known to hold, so commits do not send them again. */
  protected readonly storedValues = new StoredValues();
  protected parts?: { codec: RowCodec; reads: SqlReads; registry: SqlRegistryReads; leases: SqlLeases };

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

  /** SQLite: a run's state was read (`readRunState`) when the connection's `data_version` was this. */
  protected onRunStateRead(_tenantId: string, _runId: string, _dataVersion: number): void {}
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
      if (plan.commit.admit?.length) await this.admit(tx, plan);
      await write(tx, plan);
      return plan.audit.length ? appendAudit(tx, plan.audit, (t, id) => this.lockAuditChain(t, id)) : [];
    });
  }

  /**
   * Counts each of the commit's admissions in its transaction, after taking the tenant's
   * chain lock (Postgres; SQLite's write transaction is exclusive already), so two
   * processes starting runs at once never both pass a limit.
   * @throws LimitExceededError for the first admission at its max: nothing is written.
   */
  protected async admit(tx: SqlExecutor, plan: CommitPlan): Promise<void> {
    const { tenantId, admit = [] } = plan.commit;
    await this.lockAuditChain(tx, tenantId);
    for (const check of admit) {
      const { sql, params } = admissionCountSql(tenantId, check);
      const { rows } = await tx.exec(sql, params);
      const used = Number(rows[0]?.n ?? 0);
      if (used >= check.max) throw admissionRefusal(tenantId, check, used);
    }
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
    if (plan.lease && (await tx.exec(LEASE_SQL.commit, leaseParams(plan))).affected !== 1)
      throw new Error(LEASE_HELD_MESSAGE);
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
    this.storedValues.clear();
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
  protected get p() {
    if (!this.parts) {
      const codec = new RowCodec(this.name);
      const skipLocked = this.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
      this.parts = {
        codec,
        reads: new SqlReads(codec, this.dialect, (t, r, v) => this.onRunStateRead(t, r, v)),
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
    const { tenantId, runId } = commit;
    const created = commit.expectedVersion === 0;
    const plan = planCommit(commit, created ? undefined : this.storedValues.known(tenantId, runId));
    let audit: AuditRecord[];
    try {
      audit = await this.executeCommit(plan);
      this.storedValues.remember(tenantId, runId, plan.valueHashes, created);
    } catch (error) {
      this.storedValues.forget(tenantId, runId);
      if (isLeaseHeldRefusal(error)) throw leaseHeldError(plan);
      throw isVersionConflict(error)
        ? await this.read((q) => explainConflict(q, plan))
        : violationError(plan, error);
    }
    if (audit.length) this.onAuditAppended(audit);
    if (commit.events?.length && this.listeners.size) this.emit(commit.events);
    return { audit };
  }

  /**
   * Writes many new runs in one transaction: a bulk import (moving runs between stores,
   * seeding a benchmark). Each commit is checked and encoded exactly as {@link commit}
   * does, so the rows are the ones the engine writes; the rows of all commits go out table
   * by table in multi-row statements, and their audit entries are chained in order. Every
   * commit must create its run (`expectedVersion: 0`), consume or remove no timer and take
   * no lease; a
   * run that already exists fails the whole batch with a `ConcurrencyError`, and nothing is
   * written.
   */
  async importRuns(commits: readonly Commit[]): Promise<CommitResult> {
    this.ready();
    const plans = commits.map((commit) => {
      const plan = planCommit(commit);
      if (plan.header.kind !== 'insert' || plan.consume.length || plan.remove.length || plan.lease) {
        throw new ConcurrencyError(
          `importRuns takes commits that create their run (expectedVersion 0), touch no existing timer and take no lease; run ${commit.runId} does not`,
        );
      }
      return plan;
    });
    if (plans.length === 0) return { audit: [] };
    const tables = new Map<string, { head: string; tail: string; rows: unknown[][] }>();
    for (const plan of plans) {
      for (const part of plan.parts) {
        const table = tables.get(part.table) ?? { head: part.head, tail: part.tail, rows: [] };
        for (const row of part.rows) table.rows.push(row);
        tables.set(part.table, table);
      }
    }
    let audit: AuditRecord[];
    try {
      audit = await this.transaction(async (tx) => {
        await insertRows(
          tx,
          INSERT_RUN_SQL,
          plans.map((p) => p.header.params),
        );
        for (const { head, rows, tail } of tables.values()) await insertRows(tx, head, rows, tail);
        const drafts = plans.flatMap((p) => p.audit);
        return drafts.length ? appendAudit(tx, drafts, (t, id) => this.lockAuditChain(t, id)) : [];
      });
    } catch (error) {
      throw violationError(plans[0], error);
    }
    if (audit.length) this.onAuditAppended(audit);
    if (this.listeners.size) this.emit(plans.flatMap((p) => p.commit.events ?? []));
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

  protected async reading<T>(fn: (q: SqlExecutor, reads: SqlReads) => Promise<T>): Promise<T> {
    this.ready();
    return this.read((q) => fn(q, this.p.reads));
  }
}
