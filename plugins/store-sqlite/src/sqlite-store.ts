import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  type AuditDraft,
  type AuditRecord,
  type AuditRow,
  chainAuditRow,
  type StoreCapabilities,
  type WorktrailEvent,
} from '@llmteam/core';
import {
  type CommitPlan,
  INSERT_RUN_SQL,
  LEASE_HELD_MESSAGE,
  leaseParams,
  ROW_STATEMENTS,
  runInTransaction,
  SerialQueue,
  SQL_ENTITIES,
  SQL_MIGRATIONS,
  type SqlExecutor,
  type SqlResult,
  SqlStore,
  SqlStoreError,
  VERSION_CONFLICT_MESSAGE,
} from '@llmteam/store-sql';
import { DataSource } from 'typeorm';
import { COMMIT_FEED_STATEMENTS, CommitFeed } from './commit-feed.js';
import { GroupCommit } from './group-commit.js';
import { driverOptions, type SqliteStatements, statementsOn } from './sqlite-driver.js';
import { WalCheckpointer } from './wal-checkpointer.js';

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * Database file; its directory is created when missing. `:memory:` keeps everything in
   * memory (tests only).
   * @default './.llmteam/llmteam.sqlite'
   */
  path?: string;
  /**
   * SQLite's `synchronous` level in WAL mode. `FULL` syncs the log on every commit: a
   * committed transition survives a power loss. `NORMAL` syncs only at checkpoints: still
   * safe when the process crashes or is killed, but a power loss or OS crash can lose the
   * last commits (never corrupt the database). `NORMAL` is several times faster on slow disks.
   * @default 'FULL'
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a statement waits for a lock held by another connection before failing, in ms. @default 5000 */
  busyTimeoutMs?: number;
  /**
   * The SQLite driver. `sqlite3` runs each statement on libuv's thread pool: the event loop
   * stays free while SQLite works, and each statement costs a hand-off to a pool thread and
   * back. `better-sqlite3` (an optional peer dependency: install it beside this package)
   * runs each statement on the calling thread: no hand-off, several times cheaper per
   * statement, and the event loop waits while SQLite works (with `FULL`, that includes the
   * log sync of every commit). Both use the same file format, schema and guarantees.
   * @default 'sqlite3'
   */
  driver?: 'sqlite3' | 'better-sqlite3';
  /**
   * While anyone subscribes to events, how often the store looks for commits made by other
   * processes on the same file (e.g. `llmteam approve` beside a running gateway), in ms.
   * Each look is one `PRAGMA data_version`; the events are read only when it changed.
   * @default 200
   */
  crossProcessPollMs?: number;
}

/** The defaults of {@link SqliteStoreOptions}, in one place. */
export const SQLITE_STORE_DEFAULTS = {
  path: './.llmteam/llmteam.sqlite',
  synchronous: 'FULL',
  busyTimeoutMs: 5000,
  driver: 'sqlite3',
  crossProcessPollMs: 200,
} as const satisfies Required<SqliteStoreOptions>;

/**
 * The embedded store: one SQLite file in WAL mode with foreign keys on, migrated at
 * `init()`. One engine at a time: every statement runs through one in-process queue, so
 * a commit's transaction never interleaves with another's, and reads never see a
 * transaction that may still roll back. Other processes may write to the same file (the
 * `llmteam` command line answering a request beside a running gateway): their events
 * reach this process's subscribers once each and in order ({@link CommitFeed}). TypeORM
 * opens the connection and migrates the schema; the store's statements run on the
 * driver's connection as prepared statements.
 */
export class SqliteStore extends SqlStore {
  readonly name: string;
  readonly capabilities: StoreCapabilities = {
    multiProcess: false,
    crossProcessEvents: true,
    durable: true,
    commitLease: true,
    commitAdmission: true,
  };
  protected readonly dialect = 'sqlite' as const;
  private readonly queue = new SerialQueue();
  private commitView = false;
  private readonly options: Required<SqliteStoreOptions>;
  /** The open connection's kept statements; created at first use, finalized at close. */
  private statements?: SqliteStatements;
  /**
   * The last audit entry this store appended per tenant. A commit with audit entries chains
   * onto it in one statement, which checks it is still the head (else: a transaction).
   */
  private readonly auditHeads = new Map<string, Pick<AuditRecord, 'seq' | 'hash'>>();
  /** The connection's current `synchronous` level: leases lower it, commits restore it. */
  private synchronousNow: 'FULL' | 'NORMAL' = 'FULL';
  /** Other processes' commits, and this one's, to the subscribers in order. */
  private readonly feed: CommitFeed;
  /**
   * The connection's `data_version` when a run's state was last read (`readRunState`), by
   * run: its next commit's events need no look at the feed first when no other process
   * committed between the feed's last look and that read (see {@link CommitFeed.local}).
   */
  private readonly stateReadAt = new Map<string, number>();
  /** Checkpoints the log off the commit path (a file with the `sqlite3` driver). */
  private checkpointer?: WalCheckpointer;

  constructor(options: SqliteStoreOptions = {}) {
    super();
    this.options = { ...SQLITE_STORE_DEFAULTS, ...options };
    if (this.options.synchronous !== 'FULL' && this.options.synchronous !== 'NORMAL') {
      throw new SqlStoreError(
        'LLMT_E_SQL_INVALID_OPTION',
        `sqlite store: synchronous must be 'FULL' or 'NORMAL', got ${JSON.stringify(this.options.synchronous)}`,
      );
    }
    if (this.options.driver !== 'sqlite3' && this.options.driver !== 'better-sqlite3') {
      throw new SqlStoreError(
        'LLMT_E_SQL_INVALID_OPTION',
        `sqlite store: driver must be 'sqlite3' or 'better-sqlite3', got ${JSON.stringify(this.options.driver)}`,
      );
    }
    this.name = `sqlite:${this.options.path}`;
    this.feed = new CommitFeed(
      {
        read: (fn) => this.read(fn),
        listEvents: (tenantId, runId, afterSeq, limit) =>
          this.dataSource ? this.listEvents(tenantId, runId, { afterSeq, limit }) : Promise.resolve([]),
        emit: (events) => super.emit(events),
        listening: () => this.listenerCount > 0,
        warn: () => undefined,
      },
      this.options.crossProcessPollMs,
    );
  }

  /** Local commits join the ordered pipeline of other processes' commits. */
  protected override emit(events: WorktrailEvent[]): void {
    if (this.options.path === ':memory:') {
      super.emit(events);
      return;
    }
    const first = events[0];
    const key = first && `${first.tenant_id}\u0000${first.run_id}`;
    const readAt = key === undefined ? undefined : this.stateReadAt.get(key);
    if (readAt !== undefined) this.stateReadAt.delete(key);
    this.feed.local(events, readAt);
  }

  protected override onRunStateRead(tenantId: string, runId: string, dataVersion: number): void {
    const key = `${tenantId}\u0000${runId}`;
    this.stateReadAt.delete(key);
    this.stateReadAt.set(key, dataVersion);
    // Only the next commit of a run just read uses it: a few recent reads are enough.
    if (this.stateReadAt.size > 1000) this.stateReadAt.delete(this.stateReadAt.keys().next().value as string);
  }

  /** Looks for commits of other processes now, instead of at the next poll (tests, tools). */
  pollOtherProcesses(): Promise<void> {
    return this.feed.poll();
  }

  /** The database file this store uses. */
  get path(): string {
    return this.options.path;
  }

  protected async openDataSource(): Promise<DataSource> {
    const { path, synchronous } = this.options;
    const memory = path === ':memory:';
    const driver = await driverOptions(this.options.driver, this.options.busyTimeoutMs, this.name);
    try {
      if (!memory) await mkdir(dirname(resolve(path)), { recursive: true });
      const dataSource = new DataSource({
        ...driver,
        database: path,
        enableWAL: !memory,
        entities: SQL_ENTITIES,
        migrations: SQL_MIGRATIONS,
        migrationsTableName: 'llmteam_migrations',
        migrationsTransactionMode: 'all',
        synchronize: false,
        logging: false,
      });
      await dataSource.initialize();
      await dataSource.query(`PRAGMA synchronous = ${synchronous}`);
      this.synchronousNow = synchronous;
      // With `sqlite3`, the log is checkpointed on a connection of its own, on the thread
      // pool, instead of inside the commit that crosses SQLite's threshold. `better-sqlite3`
      // keeps SQLite's automatic checkpoint: its own copy of SQLite must be the only one
      // with the file open in this process, and its statements block the event loop anyway.
      if (!memory && this.options.driver === 'sqlite3') {
        this.checkpointer = await WalCheckpointer.open(path, this.options.busyTimeoutMs, () => undefined);
        await dataSource.query('PRAGMA wal_autocheckpoint = 0');
      }
      return dataSource;
    } catch (error) {
      throw new SqlStoreError(
        'LLMT_E_SQL_UNREACHABLE',
        `${this.name}: cannot open the database file (${(error as Error).message}). ` +
          'Check that the directory exists and is writable, that the file is a SQLite database, or set the store `path` option.',
        { cause: error, details: { store: this.name } },
      );
    }
  }

  override async init(): Promise<void> {
    await super.init();
    const dataSource = this.ready();
    if (this.commitView) return;
    // Per connection, after the migrations: a view whose INSTEAD OF triggers write a whole
    // commit (run header, steps, values, events, ..., audit entries) in one INSERT statement,
    // atomic on its own. A run not at the expected version aborts the statement with
    // VERSION_CONFLICT_MESSAGE, an audit entry not chaining onto the head with AUDIT_HEAD_MESSAGE.
    const cols = Array.from({ length: COMMIT_VIEW_COLUMNS }, (_, i) => `NULL AS c${i + 1}`).join(', ');
    const news = (n: number) => Array.from({ length: n }, (_, i) => `NEW.c${i + 1}`).join(', ');
    const statements = [
      `CREATE TEMP VIEW IF NOT EXISTS llmteam_commit AS SELECT NULL AS kind, ${cols} WHERE 0`,
      `CREATE TEMP TRIGGER IF NOT EXISTS llmteam_commit_new INSTEAD OF INSERT ON llmteam_commit WHEN NEW.kind = 'new' BEGIN
         ${INSERT_RUN_SQL} (${news(15)}); END`,
      `CREATE TEMP TRIGGER IF NOT EXISTS llmteam_commit_update INSTEAD OF INSERT ON llmteam_commit WHEN NEW.kind = 'update' BEGIN
         SELECT RAISE(ABORT, '${VERSION_CONFLICT_MESSAGE}') WHERE NOT EXISTS (SELECT 1 FROM runs WHERE tenant_id = NEW.c11 AND run_id = NEW.c12 AND version = NEW.c13 AND last_seq = NEW.c14);
         UPDATE runs SET status = NEW.c3 WHERE tenant_id = NEW.c11 AND run_id = NEW.c12 AND status IS NOT NEW.c3;
         UPDATE runs SET segment_id = NEW.c1, segment_version = NEW.c2, version = NEW.c4, last_seq = NEW.c5, steps_completed = NEW.c6, updated_at = NEW.c7, completed_at = NEW.c8, outputs = NEW.c9, extra = NEW.c10 WHERE tenant_id = NEW.c11 AND run_id = NEW.c12; END`,
      // The lease the commit takes or gives back: (owner or NULL, until, tenant, run, owner, now).
      `CREATE TEMP TRIGGER IF NOT EXISTS llmteam_commit_lease INSTEAD OF INSERT ON llmteam_commit WHEN NEW.kind = 'lease' BEGIN
         SELECT RAISE(ABORT, '${LEASE_HELD_MESSAGE}') WHERE EXISTS (SELECT 1 FROM runs WHERE tenant_id = NEW.c3 AND run_id = NEW.c4 AND lease_owner IS NOT NULL AND lease_owner <> NEW.c5 AND lease_until > NEW.c6);
         UPDATE runs SET lease_owner = NEW.c1, lease_until = NEW.c2 WHERE tenant_id = NEW.c3 AND run_id = NEW.c4; END`,
      // A timer the commit removes if it exists (tenant, timer id): a closed request's SLA timer.
      `CREATE TEMP TRIGGER IF NOT EXISTS llmteam_commit_timer_remove INSTEAD OF INSERT ON llmteam_commit WHEN NEW.kind = 'timer_remove' BEGIN
         DELETE FROM timers WHERE tenant_id = NEW.c1 AND timer_id = NEW.c2; END`,
      `CREATE TEMP TRIGGER IF NOT EXISTS llmteam_commit_audit INSTEAD OF INSERT ON llmteam_commit WHEN NEW.kind = 'audit' BEGIN
         SELECT RAISE(ABORT, '${AUDIT_HEAD_MESSAGE}') WHERE NOT EXISTS (SELECT 1 FROM audit WHERE tenant_id = NEW.c1 AND seq = NEW.c2 - 1 AND hash = NEW.c6) OR EXISTS (SELECT 1 FROM audit WHERE tenant_id = NEW.c1 AND seq >= NEW.c2);
         INSERT INTO audit (tenant_id, seq, at, hash, body) VALUES (NEW.c1, NEW.c2, NEW.c3, NEW.c4, NEW.c5); END`,
      ...Object.entries(ROW_STATEMENTS).map(
        ([
          table,
          st,
        ]) => `CREATE TEMP TRIGGER IF NOT EXISTS llmteam_commit_${table} INSTEAD OF INSERT ON llmteam_commit WHEN NEW.kind = '${table}' BEGIN
         ${st.head} (${news(st.columns)})${st.tail}; END`,
      ),
    ];
    await this.queue.run(async () => {
      for (const statement of [...COMMIT_FEED_STATEMENTS, ...statements]) await dataSource.query(statement);
    });
    this.commitView = true;
    // Subscribers get what other processes commit from here on.
    if (this.options.path !== ':memory:') await this.feed.start();
  }

  override async close(): Promise<void> {
    this.feed.stop();
    await this.feed.settled();
    this.commitView = false;
    this.auditHeads.clear();
    await super.close();
  }

  protected override onAuditAppended(records: AuditRecord[]): void {
    for (const record of records) {
      const head = this.auditHeads.get(record.tenantId);
      if (!head || record.seq > head.seq) this.auditHeads.set(record.tenantId, record);
    }
  }

  protected override async beforeDestroy(): Promise<void> {
    const checkpointer = this.checkpointer;
    this.checkpointer = undefined;
    // Closed first: the store's connection, the file's last, folds the log in as it closes.
    await checkpointer?.close();
    const statements = this.statements;
    this.statements = undefined;
    // Statements already queued still run; then SQLite needs every statement finalized to close.
    if (statements) await this.queue.run(() => statements.close());
  }

  /** The kept statements of the open connection (TypeORM's driver holds a single one). */
  private connection(): SqliteStatements {
    const dataSource = this.ready();
    if (!this.statements) {
      const handle = (dataSource.driver as unknown as { databaseConnection: unknown }).databaseConnection;
      this.statements = statementsOn(this.options.driver, handle);
    }
    return this.statements;
  }

  /**
   * Sets the connection's `synchronous` level before a write. Leases and claims are timing
   * hints (commits are version-checked), so they skip the log sync: `NORMAL`, which still
   * syncs at checkpoints. Every commit runs at the configured level, and its sync of the
   * log covers the lease writes before it.
   */
  private async useSynchronous(conn: SqliteStatements, level: 'FULL' | 'NORMAL'): Promise<void> {
    if (this.synchronousNow === level) return;
    await conn.exec(`PRAGMA synchronous = ${level}`);
    this.synchronousNow = level;
  }

  /**
   * The commit (and the audit entries it appends) as one INSERT into the commit view, or
   * undefined when the view cannot take it (not created yet, too many parameters).
   */
  private commitStatement(
    plan: CommitPlan,
    audit: Array<{ record: AuditRecord; row: AuditRow }> = [],
  ): { sql: string; params: unknown[] } | undefined {
    const { header, parts } = plan;
    if (!this.commitView) return undefined;
    const tuples: string[] = [];
    const params: unknown[] = [];
    const row = (kind: string, values: unknown[]) => {
      const pad = COMMIT_VIEW_COLUMNS - values.length;
      tuples.push(`('${kind}'${', ?'.repeat(values.length)}${', NULL'.repeat(pad)})`);
      for (const v of values) params.push(v);
    };
    row(header.kind === 'insert' ? 'new' : 'update', header.params);
    if (plan.lease) row('lease', leaseParams(plan));
    // Before the rows: a commit may remove a timer and add one of the same id.
    for (const id of new Set(plan.remove)) row('timer_remove', [plan.commit.tenantId, id]);
    for (const part of parts) for (const r of part.rows) row(part.table, r);
    for (const { record: r, row: stored } of audit)
      row('audit', [r.tenantId, r.seq, r.timestamp, r.hash, stored.body, r.prevHash]);
    if (params.length > MAX_PARAMS) return undefined;
    return { sql: COMMIT_INSERT + tuples.join(', '), params };
  }

  /**
   * The fast path: without timers to consume (each must still exist) or admissions to
   * count, the whole commit (the timers it removes, and its audit entries when this store
   * knows each tenant's chain head) is one INSERT into the commit view, atomic on its own. Otherwise the generic transaction, still writing header and
   * rows in one statement where it can.
   */
  protected override async executeCommit(plan: CommitPlan): Promise<AuditRecord[]> {
    if (plan.consume.length || plan.commit.admit?.length) return this.commitInTransaction(plan);
    const chained = this.chainOntoKnownHeads(plan.audit);
    const statement = chained && this.commitStatement(plan, chained);
    if (statement) {
      const records = chained.map((c) => c.record);
      // The next commit chains onto these entries at once: commits written by one grouped
      // statement (or queued behind this one) each find their head, in submission order.
      // The commit view's trigger still checks every link against the table.
      for (const r of records) this.auditHeads.set(r.tenantId, r);
      try {
        // No BEGIN: a failing trigger or constraint undoes the whole statement.
        await this.runCommitStatement(statement);
        return records;
      } catch (error) {
        // Nothing was written: the heads are unknown again, and the commits chained onto
        // these entries fail their check and take the transaction below too.
        for (const r of records) this.auditHeads.delete(r.tenantId);
        // Another writer appended (or a sweep): the transaction re-reads the heads.
        if (!String((error as Error).message).includes(AUDIT_HEAD_MESSAGE)) throw error;
      }
    }
    return this.commitInTransaction(plan, async (tx, p) => {
      const rows = this.commitStatement(p);
      if (rows) await tx.exec(rows.sql, rows.params);
      else await this.writePlan(tx, p);
    });
  }

  /** Audit drafts chained onto the heads this store last wrote, or undefined when one is unknown. */
  private chainOntoKnownHeads(
    drafts: AuditDraft[],
  ): Array<{ record: AuditRecord; row: AuditRow }> | undefined {
    if (drafts.length === 0) return [];
    const heads = new Map<string, Pick<AuditRecord, 'seq' | 'hash'>>();
    const chained: Array<{ record: AuditRecord; row: AuditRow }> = [];
    for (const draft of drafts) {
      const head = heads.get(draft.tenantId) ?? this.auditHeads.get(draft.tenantId);
      if (!head) return undefined;
      const entry = chainAuditRow(draft, head);
      heads.set(draft.tenantId, entry.record);
      chained.push(entry);
    }
    return chained;
  }

  /**
   * Runs one commit statement at the configured durability. No BEGIN: one statement is its
   * own transaction, triggers included, and commits (and syncs) as it returns.
   */
  private runCommitStatement(statement: { sql: string; params: unknown[] }): Promise<void> {
    return this.group.submit({ tuples: statement.sql.slice(COMMIT_INSERT.length), params: statement.params });
  }

  /** Commits that wait for the queue together are written by one statement. */
  private readonly group = new GroupCommit(
    {
      schedule: (job) => this.queue.run(job),
      insert: async (tuples, params) => {
        const conn = this.connection();
        await this.useSynchronous(conn, this.options.synchronous);
        await conn.exec(COMMIT_INSERT + tuples, params);
        this.checkpointer?.wrote();
      },
    },
    MAX_PARAMS,
  );

  protected transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const conn = this.connection();
    return this.queue.run(async () => {
      await this.useSynchronous(conn, this.options.synchronous);
      // IMMEDIATE takes the write lock up front: no lock upgrade that could fail half-way.
      const result = await runInTransaction(conn, 'BEGIN IMMEDIATE', fn);
      this.checkpointer?.wrote();
      return result;
    });
  }

  protected override leaseStatement(sql: string, params: readonly unknown[]): Promise<SqlResult> {
    const conn = this.connection();
    return this.queue.run(async () => {
      await this.useSynchronous(conn, 'NORMAL');
      const result = await conn.exec(sql, params);
      if (result.affected) this.checkpointer?.wrote();
      return result;
    });
  }

  protected read<T>(fn: (q: SqlExecutor) => Promise<T>): Promise<T> {
    const conn = this.connection();
    return this.queue.run(() => fn(conn));
  }
}

/** Value columns of the commit view: the widest row is a new run's 15 header values. */
const COMMIT_VIEW_COLUMNS = 15;
/** The INSERT into the commit view; the rows follow. */
const COMMIT_INSERT = 'INSERT INTO llmteam_commit VALUES ';
/** Raised by the commit view when an audit entry does not chain onto the tenant's current head. */
const AUDIT_HEAD_MESSAGE = 'llmteam:audit-head-moved';
/** Well under SQLite's 32766 bound parameters per statement. */
const MAX_PARAMS = 30_000;

/**
 * Creates the embedded SQLite store (not yet initialized; the engine or gateway calls
 * `init()`, which creates the directory and migrates the schema).
 *
 * ```ts
 * const store = createSqliteStore({ path: './.llmteam/llmteam.sqlite' });
 * await store.init();
 * ```
 */
export function createSqliteStore(options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(options);
}
