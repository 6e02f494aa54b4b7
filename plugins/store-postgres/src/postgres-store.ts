import { randomUUID } from 'node:crypto';
import {
  type AuditRecord,
  type Commit,
  OrderedDelivery,
  type StoreCapabilities,
  type WorktrailEvent,
} from '@llmteam/core';
import {
  type CommitPlan,
  runInTransaction,
  SerialQueue,
  SQL_ENTITIES,
  SQL_MIGRATIONS,
  type SqlExecutor,
  SqlStore,
  SqlStoreError,
  versionConflict,
} from '@llmteam/store-sql';
import { DataSource, type QueryRunner } from 'typeorm';
import { fitsOneStatement, oneStatementCommit, type PgNotify, writePlanRows } from './pg-commit-sql.js';

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions {
  /** Connection URL, e.g. `postgres://user:password@127.0.0.1:5432/llmteam`. Required. */
  url: string;
  /**
   * Schema holding llmteam's tables; created when missing. Letters, digits and `_` only.
   * @default 'public'
   */
  schema?: string;
  /** Connections in the pool, one of which LISTENs for events. @default 10 */
  poolSize?: number;
  /** How long to wait for a connection before failing, in ms. @default 10000 */
  connectTimeoutMs?: number;
}

/** The defaults of {@link PostgresStoreOptions}. */
export const POSTGRES_STORE_DEFAULTS = { schema: 'public', poolSize: 10, connectTimeoutMs: 10_000 } as const;

interface Notice {
  /** Store instance that committed. */
  o: string;
  t: string;
  r: string;
  /** First and last seq of the commit's events. */
  f: number;
  l: number;
}

interface PgClient {
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  removeAllListeners(event?: string): void;
}

/**
 * The production store: Postgres through TypeORM and pg. Several processes share one
 * database: runs and timers are claimed with `FOR UPDATE SKIP LOCKED` and leases, so one
 * worker advances a run at a time; events committed anywhere reach every process's
 * subscribers through LISTEN/NOTIFY (the notice carries only tenant, run and seq range;
 * the receiver reads the events).
 */
export class PostgresStore extends SqlStore {
  readonly name: string;
  readonly capabilities: StoreCapabilities = {
    multiProcess: true,
    crossProcessEvents: true,
    durable: true,
    commitLease: true,
    commitAdmission: true,
  };
  protected readonly dialect = 'postgres' as const;
  private readonly options: Required<PostgresStoreOptions>;
  private readonly instanceId = randomUUID();
  private readonly channel: string;
  private readonly notices = new SerialQueue();
  private listener?: QueryRunner;
  /** Once-only, in-order delivery of every run's events to this process's subscribers. */
  private readonly delivery = new OrderedDelivery(
    (tenantId, runId, afterSeq, limit) =>
      this.dataSource ? this.listEvents(tenantId, runId, { afterSeq, limit }) : Promise.resolve([]),
    (events) => super.emit(events),
  );
  private closing = false;

  constructor(options: PostgresStoreOptions) {
    super();
    if (!options || typeof options.url !== 'string' || !options.url) {
      throw new SqlStoreError(
        'LLMT_E_SQL_INVALID_OPTION',
        'postgres store: the `url` option is required, e.g. postgres://user@127.0.0.1:5432/llmteam',
      );
    }
    this.options = { ...POSTGRES_STORE_DEFAULTS, ...options } as Required<PostgresStoreOptions>;
    // Lower case (search_path folds case) and short enough that the NOTIFY channel name
    // `llmteam_events:<schema>` stays within Postgres' 63-byte identifier limit.
    if (!/^[a-z_][a-z0-9_]{0,47}$/.test(this.options.schema)) {
      throw new SqlStoreError(
        'LLMT_E_SQL_INVALID_OPTION',
        `postgres store: schema ${JSON.stringify(this.options.schema)} must be lower-case letters, digits and _ (at most 48), starting with a letter or _`,
      );
    }
    this.name = describeUrl(options.url, this.options.schema);
    this.channel = `llmteam_events:${this.options.schema}`;
  }

  /** The schema holding the tables. */
  get schema(): string {
    return this.options.schema;
  }

  protected async openDataSource(): Promise<DataSource> {
    const { url, schema, poolSize, connectTimeoutMs } = this.options;
    const dataSource = new DataSource({
      type: 'postgres',
      url,
      schema,
      poolSize,
      // Raw SQL names tables without a schema; the search path points every connection at it.
      extra: { options: `-c search_path=${schema}`, connectionTimeoutMillis: connectTimeoutMs },
      entities: SQL_ENTITIES,
      migrations: SQL_MIGRATIONS,
      migrationsTableName: 'llmteam_migrations',
      migrationsTransactionMode: 'all',
      synchronize: false,
      logging: false,
    });
    try {
      await dataSource.initialize();
    } catch (error) {
      const e = error as { code?: string; message?: string };
      throw new SqlStoreError(
        'LLMT_E_SQL_UNREACHABLE',
        `${this.name}: cannot connect (${e.code ?? ''} ${e.message ?? String(error)}). ` +
          'Check that Postgres runs and accepts connections at this host and port, that the database exists and the user may log in, or fix the store `url` option.',
        { cause: error, details: { store: this.name } },
      );
    }
    return dataSource;
  }

  protected override async beforeMigrate(runner: QueryRunner): Promise<void> {
    // One migrator per schema at a time, across processes.
    await runner.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [
      `llmteam.migrate:${this.options.schema}`,
    ]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS "${this.options.schema}"`);
  }

  protected override async afterMigrate(runner: QueryRunner): Promise<void> {
    await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [
      `llmteam.migrate:${this.options.schema}`,
    ]);
  }

  override async init(): Promise<void> {
    this.closing = false;
    await super.init();
    await this.listen();
  }

  override async close(): Promise<void> {
    this.closing = true;
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      await listener.query(`UNLISTEN *`).catch(() => undefined);
      await listener.release().catch(() => undefined);
    }
    await this.notices.run(async () => undefined);
    await super.close();
  }

  protected async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const runner = this.ready().createQueryRunner();
    await runner.connect();
    try {
      return await runInTransaction(this.executor(runner), 'BEGIN', fn);
    } finally {
      await runner.release();
    }
  }

  protected override leaseTransaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    // No WAL flush for leases and claims: a lease lost in a database crash only expires
    // early, and timers still fire once because consuming one is a version-checked commit.
    return this.transaction(async (tx) => {
      await tx.exec('SET LOCAL synchronous_commit TO OFF');
      return fn(tx);
    });
  }

  protected async read<T>(fn: (q: SqlExecutor) => Promise<T>): Promise<T> {
    const runner = this.ready().createQueryRunner();
    try {
      return await fn(this.executor(runner));
    } finally {
      await runner.release();
    }
  }

  protected override async lockAuditChain(tx: SqlExecutor, tenantId: string): Promise<void> {
    // Held until the transaction ends: one appender per tenant chain, so the chain has no fork.
    await tx.exec(`SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, [
      `llmteam.audit:${this.options.schema}:${tenantId}`,
    ]);
  }

  /**
   * The fast path: a commit without audit entries or timers to consume or remove is one
   * statement of data-modifying CTEs (with its NOTIFY), atomic on its own. Everything else
   * is the generic transaction, writing all rows and the NOTIFY in one statement.
   */
  protected override async executeCommit(plan: CommitPlan): Promise<AuditRecord[]> {
    if (
      !plan.consume.length &&
      !plan.remove.length &&
      !plan.audit.length &&
      !plan.commit.admit?.length &&
      fitsOneStatement(plan)
    ) {
      const { sql, params } = oneStatementCommit(plan, this.notifyOf(plan));
      // No BEGIN: one statement is its own transaction, committed (and synced) as it returns.
      const rows = await this.read(async (q) => (await q.exec(sql, params)).rows);
      if (Number(rows[0]?.written) !== 1) throw versionConflict();
      return [];
    }
    return this.commitInTransaction(plan, async (tx, p) => {
      await this.writeHeader(tx, p);
      await writePlanRows(tx, p, this.notifyOf(p));
    });
  }

  /** The NOTIFY a commit sends (none without events). */
  private notifyOf(plan: CommitPlan): PgNotify | undefined {
    return plan.commit.events?.length
      ? { channel: this.channel, payload: this.notice(plan.commit) }
      : undefined;
  }

  /** The NOTIFY payload of a commit: small, the listener reads the events. */
  private notice(commit: Commit): string {
    const events = commit.events ?? [];
    const notice: Notice = {
      o: this.instanceId,
      t: commit.tenantId,
      r: commit.runId,
      f: events[0].seq,
      l: events[events.length - 1].seq,
    };
    return JSON.stringify(notice);
  }

  /**
   * Holds one connection that LISTENs for other processes' commits. When it drops it is
   * re-opened with back-off until it works, and every run this process follows is re-read
   * from its delivered mark: notices sent while it was down are not lost.
   */
  private async listen(reconnecting = false): Promise<void> {
    if (this.listener || this.closing) return;
    const runner = this.ready().createQueryRunner();
    let client: PgClient | undefined;
    try {
      client = (await runner.connect()) as PgClient;
      client.on('notification', (message) => {
        if (message.channel === this.channel && message.payload)
          void this.notices.run(() => this.deliver(message.payload!));
      });
      client.on('error', () => {
        if (this.listener !== runner) return;
        this.listener = undefined;
        client?.removeAllListeners('notification');
        void runner.release().catch(() => undefined);
        this.relisten(1000);
      });
      await runner.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      client?.removeAllListeners('notification');
      await runner.release().catch(() => undefined);
      if (!reconnecting) throw error;
      this.relisten(Math.min(30_000, this.relistenDelay * 2));
      return;
    }
    this.listener = runner;
    this.relistenDelay = 1000;
    if (reconnecting) void this.notices.run(() => this.catchUp());
  }

  private relistenDelay = 1000;

  private relisten(delay: number): void {
    if (this.closing) return;
    this.relistenDelay = delay;
    setTimeout(
      () => void this.listen(true).catch(() => this.relisten(Math.min(30_000, delay * 2))),
      delay,
    ).unref();
  }

  /** After a reconnection: what the followed runs committed meanwhile. */
  private async catchUp(): Promise<void> {
    for (const { tenantId, runId, last } of this.delivery.followed()) {
      const events = await this.listEvents(tenantId, runId, { afterSeq: last }).catch(() => []);
      if (events.length) await this.deliverInOrder(events);
    }
  }

  /** Local commits join the same ordered pipeline as other processes' commits. */
  protected override emit(events: WorktrailEvent[]): void {
    void this.notices.run(() => this.deliverInOrder(events));
  }

  /** Reads the events a notice announces and hands them to this process's subscribers. */
  private async deliver(payload: string): Promise<void> {
    let notice: Notice;
    try {
      notice = JSON.parse(payload) as Notice;
    } catch {
      return;
    }
    // This instance delivers its own commits when they return.
    if (notice.o === this.instanceId || !this.dataSource) return;
    const last = this.delivery.last(notice.t, notice.r);
    if (!this.listenerCount || (last !== undefined && notice.l <= last)) return;
    const afterSeq = last ?? notice.f - 1;
    const events = await this.listEvents(notice.t, notice.r, { afterSeq, limit: notice.l - afterSeq }).catch(
      () => [],
    );
    if (events.length) await this.deliverInOrder(events);
  }

  /** Hands events on in order, or forgets the marks while nobody listens. */
  private async deliverInOrder(events: WorktrailEvent[]): Promise<void> {
    if (!this.listenerCount) this.delivery.clear();
    else await this.delivery.deliver(events);
  }
}

/** `postgres:<host>:<port>/<database>` (plus the schema when not public): never the password. */
function describeUrl(url: string, schema: string): string {
  let where = 'postgres:<unparseable url>';
  try {
    const u = new URL(url);
    where = `postgres:${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    // keep the placeholder: the URL itself may hold a password
  }
  return schema === 'public' ? where : `${where}?schema=${schema}`;
}

/**
 * Creates the Postgres store (not yet initialized: `init()` connects, migrates the schema
 * in one transaction and starts listening for other processes' events).
 *
 * ```ts
 * const store = createPostgresStore({ url: 'postgres://postgres@127.0.0.1:5432/llmteam' });
 * await store.init();
 * ```
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}
