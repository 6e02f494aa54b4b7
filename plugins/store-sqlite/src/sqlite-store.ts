import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { StoreCapabilities } from '@llmteam/core';
import {
  SerialQueue,
  SQL_ENTITIES,
  SQL_MIGRATIONS,
  type SqlExecutor,
  SqlStore,
  SqlStoreError,
} from '@llmteam/store-sql';
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
