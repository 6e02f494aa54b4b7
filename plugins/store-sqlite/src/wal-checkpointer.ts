import sqlite3 from 'sqlite3';

/** Writes between two checkpoints: about SQLite's own 1,000 log pages at ~13 pages a commit. */
export const CHECKPOINT_EVERY_WRITES = 64;

/**
 * Copies the write-ahead log back into the database file on a connection of its own, so
 * that no commit pays for it. SQLite's automatic checkpoint runs inside the commit that
 * crosses its threshold (every ~1,000 log pages): that one commit copies and syncs the
 * whole log, which is what the slowest commits are made of. With the store's connection
 * set to `wal_autocheckpoint = 0`, this connection runs a `PASSIVE` checkpoint on libuv's
 * thread pool after every {@link CHECKPOINT_EVERY_WRITES} writes, one at a time, while
 * commits go on: a passive checkpoint takes no lock a writer waits for, and syncs the
 * database file as the automatic one does (`NORMAL` keeps its guarantee: the log is synced
 * at checkpoints). It uses the same `sqlite3` module as the store's connection: two copies
 * of SQLite in one process must never open the same file.
 */
export class WalCheckpointer {
  private writes = 0;
  private running?: Promise<void>;
  private closed = false;

  private constructor(
    private readonly db: sqlite3.Database,
    private readonly warn: (error: unknown) => void,
  ) {}

  /** Opens the checkpoint connection on `path` (a file already in WAL mode). */
  static open(path: string, busyTimeoutMs: number, warn: (error: unknown) => void): Promise<WalCheckpointer> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(path, sqlite3.OPEN_READWRITE, (error) => {
        if (error) return reject(error);
        db.configure('busyTimeout', busyTimeoutMs);
        resolve(new WalCheckpointer(db, warn));
      });
    });
  }

  /** A write was committed on the store's connection: checkpoint once enough have been. */
  wrote(): void {
    if (++this.writes < CHECKPOINT_EVERY_WRITES || this.running || this.closed) return;
    this.running = this.checkpoint().finally(() => {
      this.running = undefined;
    });
  }

  /** Runs a checkpoint now (what `wrote()` schedules), after the one in progress. */
  async flush(): Promise<void> {
    await this.running;
    if (!this.closed) await this.checkpoint();
  }

  /** Waits for the checkpoint in progress and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    await new Promise<void>((resolve) => this.db.close(() => resolve()));
  }

  private checkpoint(): Promise<void> {
    this.writes = 0;
    return new Promise((resolve) => {
      this.db.get('PRAGMA wal_checkpoint(PASSIVE)', (error) => {
        // A failed checkpoint leaves the log as it is; the next one copies it all.
        if (error) this.warn(error);
        resolve();
      });
    });
  }
}
