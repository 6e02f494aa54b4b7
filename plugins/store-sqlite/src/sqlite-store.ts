import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Commit, StoreCapabilities } from '@llmteam/core';
import {
  INSERT_RUN_SQL,
  ROW_STATEMENTS,
  type RowPart,
  type RunHeader,
  SerialQueue,
  SQL_ENTITIES,
  SQL_MIGRATIONS,
  type SqlExecutor,
  SqlStore,
  SqlStoreError,
  VERSION_CONFLICT_MESSAGE,
} from '@llmteam/store-sql';
import sqlite3 from 'sqlite3';
import { DataSource } from 'typeorm';

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
}

/** The defaults of {@link SqliteStoreOptions}, in one place. */
export const SQLITE_STORE_DEFAULTS = {
  path: './.llmteam/llmteam.sqlite',
  synchronous: 'FULL',
  busyTimeoutMs: 5000,
} as const satisfies Required<SqliteStoreOptions>;

/**
 * The embedded store: one SQLite file in WAL mode with foreign keys on, migrated at
 * `init()`. One process at a time: every statement runs through one in-process queue, so
 * a commit's transaction never interleaves with another's, and reads never see a
 * transaction that may still roll back.
 */
export class SqliteStore extends SqlStore {
  readonly name: string;
  readonly capabilities: StoreCapabilities = {
    multiProcess: false,
    crossProcessEvents: false,
    durable: true,
  };
  protected readonly dialect = 'sqlite' as const;
  private readonly queue = new SerialQueue();
  private commitView = false;
  private readonly options: Required<SqliteStoreOptions>;

  constructor(options: SqliteStoreOptions = {}) {
    super();
    this.options = { ...SQLITE_STORE_DEFAULTS, ...options };
    if (this.options.synchronous !== 'FULL' && this.options.synchronous !== 'NORMAL') {
      throw new SqlStoreError(
        'LLMT_E_SQL_INVALID_OPTION',
        `sqlite store: synchronous must be 'FULL' or 'NORMAL', got ${JSON.stringify(this.options.synchronous)}`,
      );
    }
    this.name = `sqlite:${this.options.path}`;
  }

  /** The database file this store uses. */
  get path(): string {
    return this.options.path;
  }

  protected async openDataSource(): Promise<DataSource> {
    const { path, busyTimeoutMs, synchronous } = this.options;
    const memory = path === ':memory:';
    try {
      if (!memory) await mkdir(dirname(resolve(path)), { recursive: true });
      const dataSource = new DataSource({
        type: 'sqlite',
        // TypeORM calls `driver.verbose()`, whose stack capture on every statement costs a
        // large share of a commit; this driver hands back the plain module instead.
        driver: { ...sqlite3, verbose: () => sqlite3 },
        database: path,
        enableWAL: !memory,
        busyTimeout: busyTimeoutMs,
        entities: SQL_ENTITIES,
        migrations: SQL_MIGRATIONS,
        migrationsTableName: 'llmteam_migrations',
        migrationsTransactionMode: 'all',
        synchronize: false,
        logging: false,
      });
      await dataSource.initialize();
      await dataSource.query(`PRAGMA synchronous = ${synchronous}`);
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
    // commit (run header, steps, values, events, ...) in one INSERT statement, so a commit
    // costs BEGIN, one statement and COMMIT. A run not at the expected version aborts the
    // statement with VERSION_CONFLICT_MESSAGE.
    const cols = Array.from({ length: COMMIT_VIEW_COLUMNS }, (_, i) => `NULL AS c${i + 1}`).join(', ');
    const news = (n: number) => Array.from({ length: n }, (_, i) => `NEW.c${i + 1}`).join(', ');
    const statements = [
      `CREATE TEMP VIEW IF NOT EXISTS llmteam_commit AS SELECT NULL AS kind, ${cols} WHERE 0`,
      `CREATE TEMP TRIGGER IF NOT EXISTS llmteam_commit_new INSTEAD OF INSERT ON llmteam_commit WHEN NEW.kind = 'new' BEGIN
         ${INSERT_RUN_SQL} (${news(15)}); END`,
      `CREATE TEMP TRIGGER IF NOT EXISTS llmteam_commit_update INSTEAD OF INSERT ON llmteam_commit WHEN NEW.kind = 'update' BEGIN
         SELECT RAISE(ABORT, '${VERSION_CONFLICT_MESSAGE}') WHERE NOT EXISTS (SELECT 1 FROM runs WHERE tenant_id = NEW.c11 AND run_id = NEW.c12 AND version = NEW.c13 AND last_seq = NEW.c14);
         UPDATE runs SET segment_id = NEW.c1, segment_version = NEW.c2, status = NEW.c3, version = NEW.c4, last_seq = NEW.c5, steps_completed = NEW.c6, updated_at = NEW.c7, completed_at = NEW.c8, outputs = NEW.c9, extra = NEW.c10 WHERE tenant_id = NEW.c11 AND run_id = NEW.c12; END`,
      ...Object.entries(ROW_STATEMENTS)
        .filter(([table]) => FAST_TABLES.has(table))
        .map(
          ([
            table,
            st,
          ]) => `CREATE TEMP TRIGGER IF NOT EXISTS llmteam_commit_${table} INSTEAD OF INSERT ON llmteam_commit WHEN NEW.kind = '${table}' BEGIN
         ${st.head} (${news(st.columns)})${st.tail}; END`,
        ),
    ];
    await this.queue.run(async () => {
      for (const statement of statements) await dataSource.query(statement);
    });
    this.commitView = true;
  }

  override async close(): Promise<void> {
    this.commitView = false;
    await super.close();
  }

  protected override async writeCommit(
    tx: SqlExecutor,
    header: RunHeader,
    parts: RowPart[],
    _commit: Commit,
  ): Promise<boolean> {
    // Statements are compiled on every call, triggers included: only the hot tables have one.
    if (!this.commitView || parts.some((p) => !FAST_TABLES.has(p.table))) return false;
    const tuples: string[] = [];
    const params: unknown[] = [];
    const row = (kind: string, values: unknown[]) => {
      const pad = COMMIT_VIEW_COLUMNS - values.length;
      tuples.push(`('${kind}'${', ?'.repeat(values.length)}${', NULL'.repeat(pad)})`);
      for (const v of values) params.push(v);
    };
    row(header.kind === 'insert' ? 'new' : 'update', header.params);
    for (const part of parts) for (const r of part.rows) row(part.table, r);
    if (params.length > MAX_PARAMS) return false;
    await tx.exec(`INSERT INTO llmteam_commit VALUES ${tuples.join(', ')}`, params);
    return true;
  }

  protected transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const dataSource = this.ready();
    return this.queue.run(async () => {
      const tx = this.executor(dataSource.createQueryRunner());
      // IMMEDIATE takes the write lock up front: no lock upgrade that could fail half-way.
      await tx.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(tx);
        await tx.exec('COMMIT');
        return result;
      } catch (error) {
        await tx.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  protected read<T>(fn: (q: SqlExecutor) => Promise<T>): Promise<T> {
    const dataSource = this.ready();
    return this.queue.run(() => fn(this.executor(dataSource.createQueryRunner())));
  }
}

/** Value columns of the commit view: the widest row is a new run's 15 header values. */
const COMMIT_VIEW_COLUMNS = 15;
/** Tables a step commit writes; commits touching others take the generic path. */
const FAST_TABLES = new Set<string>(['run_values', 'step_states', 'events']);
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
