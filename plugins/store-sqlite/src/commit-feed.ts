import { OrderedDelivery, type WorktrailEvent } from '@llmteam/core';
import type { SqlExecutor } from '@llmteam/store-sql';

/** Feed rows kept: a reader further behind than this many commits of other processes misses the oldest. */
export const FEED_ROWS_KEPT = 50_000;

/**
 * The commit feed: one small row per commit that appended events (which run, which seqs),
 * written by triggers on `runs` in the committing transaction, whatever the process and the
 * write path. Ids only grow (old rows are pruned, the newest never), so a reader follows the
 * feed from the last id it read.
 */
export const COMMIT_FEED_STATEMENTS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS llmteam_commit_feed (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, run_id TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL)`,
  `CREATE TRIGGER IF NOT EXISTS llmteam_commit_feed_new AFTER INSERT ON runs WHEN NEW.last_seq > 0 BEGIN
     INSERT INTO llmteam_commit_feed (tenant_id, run_id, first_seq, last_seq) VALUES (NEW.tenant_id, NEW.run_id, 1, NEW.last_seq);
     DELETE FROM llmteam_commit_feed WHERE id <= last_insert_rowid() - ${FEED_ROWS_KEPT}; END`,
  `CREATE TRIGGER IF NOT EXISTS llmteam_commit_feed_update AFTER UPDATE OF last_seq ON runs WHEN NEW.last_seq > OLD.last_seq BEGIN
     INSERT INTO llmteam_commit_feed (tenant_id, run_id, first_seq, last_seq) VALUES (NEW.tenant_id, NEW.run_id, OLD.last_seq + 1, NEW.last_seq);
     DELETE FROM llmteam_commit_feed WHERE id <= last_insert_rowid() - ${FEED_ROWS_KEPT}; END`,
];

/** What {@link CommitFeed} needs from its store. */
export interface CommitFeedHost {
  /** Runs `fn` on the store's connection, in its statement queue. */
  read<T>(fn: (q: SqlExecutor) => Promise<T>): Promise<T>;
  /** Reads `limit` events of a run after `afterSeq`. */
  listEvents(tenantId: string, runId: string, afterSeq: number, limit: number): Promise<WorktrailEvent[]>;
  /** Hands a batch (one run, in order) to the store's subscribers. */
  emit(events: WorktrailEvent[]): void;
  /** True while anyone subscribes. */
  listening(): boolean;
  /** Logs a failed poll (the next one tries again). */
  warn(error: unknown): void;
}

/**
 * Delivers events committed by other processes on the same SQLite file to this process's
 * subscribers, once each and in order, and this process's own commits through the same
 * ordered pipeline. While the store is open it asks `PRAGMA data_version` every
 * `intervalMs` (one cheap statement, which changes only when another connection
 * committed); when it changed, it reads the new feed rows and their events, or, while
 * nobody subscribes, only moves its cursor to the end (so a new subscriber gets what is
 * committed after it subscribed, at most one interval earlier, and nothing older).
 */
export class CommitFeed {
  private readonly delivery: OrderedDelivery;
  /** One delivery at a time: polls and local commits never interleave. */
  private chain: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private cursor = 0;
  private dataVersion?: number;
  private starting?: Promise<void>;

  constructor(
    private readonly host: CommitFeedHost,
    private readonly intervalMs: number,
  ) {
    this.delivery = new OrderedDelivery(
      (tenantId, runId, afterSeq, limit) => host.listEvents(tenantId, runId, afterSeq, limit ?? 1000),
      (events) => host.emit(events),
    );
  }

  /** Starts following (the store opened): from the feed's end when it resolves. */
  start(): Promise<void> {
    if (this.starting) return this.starting;
    if (this.timer) return Promise.resolve();
    const starting = this.enqueue(async () => {
      await this.host.read(async (q) => {
        this.dataVersion = await dataVersion(q);
        const { rows } = await q.exec('SELECT max(id) AS id FROM llmteam_commit_feed');
        this.cursor = Number(rows[0]?.id ?? 0);
      });
    }).finally(() => {
      this.starting = undefined;
    });
    this.starting = starting;
    this.timer = setInterval(() => void this.enqueue(() => this.pollSafely()), this.intervalMs);
    this.timer.unref();
    return starting;
  }

  /** Stops following (the store closes) and forgets the delivered marks. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    void this.enqueue(async () => this.delivery.clear());
  }

  /** Waits for deliveries in progress (before the store closes). */
  settled(): Promise<void> {
    return this.chain;
  }

  /**
   * This process's commit: delivered after what other processes committed before it (a
   * run another process advanced gets those events first), then in order with the rest.
   * `readAt` is the connection's `data_version` when the commit's run was read, if it was.
   */
  local(events: WorktrailEvent[], readAt?: number): void {
    void this.enqueue(async () => {
      // A run whose earlier events were all delivered here (or a new one) continues in
      // order without a look at the feed: a gap is only possible after another process's
      // commit, and only then is the feed read first. So does a run read when no other
      // process had committed since the feed's last look: the commit is version-checked
      // against that read, so every earlier event of the run is at or before the feed's
      // cursor (delivered, or committed before anyone listened). Other runs' commits of
      // other processes come with the next poll.
      const first = events[0];
      if (
        first &&
        first.seq !== 1 &&
        this.delivery.last(first.tenant_id, first.run_id) !== first.seq - 1 &&
        (readAt === undefined || readAt !== this.dataVersion)
      )
        await this.pollSafely();
      await this.delivery.deliver(events);
    });
  }

  /** Looks for other processes' commits now (also what the timer does), in turn with deliveries. */
  poll(): Promise<void> {
    return this.enqueue(() => this.pollSafely());
  }

  private pollSafely(): Promise<void> {
    return this.pollOnce().catch((error) => this.host.warn(error));
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async pollOnce(): Promise<void> {
    if (!this.timer) return;
    if (!this.host.listening()) {
      this.delivery.clear();
      await this.host.read(async (q) => {
        const version = await dataVersion(q);
        if (version === this.dataVersion) return;
        const { rows } = await q.exec('SELECT max(id) AS id FROM llmteam_commit_feed');
        this.cursor = Number(rows[0]?.id ?? 0);
        this.dataVersion = version;
      });
      return;
    }
    for (;;) {
      const rows = await this.host.read(async (q) => {
        const version = await dataVersion(q);
        if (version === this.dataVersion) return [];
        const { rows } = await q.exec(
          'SELECT id, tenant_id, run_id, first_seq, last_seq FROM llmteam_commit_feed WHERE id > ? ORDER BY id LIMIT 500',
          [this.cursor],
        );
        // Read to the end before taking the new version: a full page leaves it unchanged.
        if (rows.length < 500) this.dataVersion = version;
        return rows;
      });
      for (const row of rows) {
        this.cursor = Number(row.id);
        const tenantId = String(row.tenant_id);
        const runId = String(row.run_id);
        const first = Number(row.first_seq);
        const last = Number(row.last_seq);
        const mark = this.delivery.last(tenantId, runId);
        // This process's own commits (and what was already read) are delivered already.
        if (mark !== undefined && mark >= last) continue;
        const afterSeq = mark === undefined ? first - 1 : mark;
        const events = await this.host.listEvents(tenantId, runId, afterSeq, last - afterSeq);
        await this.delivery.deliver(events);
      }
      if (rows.length < 500) return;
    }
  }
}

async function dataVersion(q: SqlExecutor): Promise<number> {
  const { rows } = await q.exec('PRAGMA data_version');
  return Number(rows[0]?.data_version);
}
