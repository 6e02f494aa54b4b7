import type { SqlExecutor, SqlResult, SqlRow } from '@llmteam/store-sql';
import type BetterSqlite3 from 'better-sqlite3';

/** Prepared statements kept per connection; multi-row statements vary with row counts. */
const MAX_STATEMENTS = 200;
const RETURNING = /\bRETURNING\b/i;

interface Prepared {
  statement: BetterSqlite3.Statement;
  /** Its rows are the changed rows. */
  returning: boolean;
}

/**
 * Runs statements on a `better-sqlite3` `Database` handle (the one TypeORM's
 * `better-sqlite3` driver holds), each prepared once per SQL text and kept. The driver is
 * synchronous: a statement runs on the calling thread, so it costs no trip to a thread
 * pool, and it holds the event loop for as long as SQLite works (and, with
 * `synchronous = FULL`, syncs the log). The caller runs one statement at a time: the
 * store's serial queue.
 */
export class BetterStatements implements SqlExecutor {
  private readonly cache = new Map<string, Prepared>();

  constructor(private readonly db: BetterSqlite3.Database) {}

  /** Runs one statement with `?` placeholders; `affected` counts changed rows (or RETURNING rows). */
  async exec(sql: string, params: readonly unknown[] = []): Promise<SqlResult> {
    let prepared = this.cache.get(sql);
    if (prepared === undefined) {
      prepared = { statement: this.db.prepare(sql), returning: RETURNING.test(sql) };
      if (this.cache.size >= MAX_STATEMENTS) {
        // Least recently used first: a Map keeps insertion order and a hit moves to the end.
        this.cache.delete(this.cache.keys().next().value as string);
      }
    } else {
      this.cache.delete(sql);
    }
    this.cache.set(sql, prepared);
    const { statement, returning } = prepared;
    const values = params.map(bindable);
    if (statement.reader) {
      const rows = statement.all(...values) as SqlRow[];
      return { rows, affected: returning ? rows.length : 0 };
    }
    return { rows: [], affected: statement.run(...values).changes };
  }

  /** Drops the kept statements (better-sqlite3 finalizes them itself when it closes). */
  async close(): Promise<void> {
    this.cache.clear();
  }
}

/**
 * A parameter as `sqlite3` would bind it: `better-sqlite3` takes only numbers, strings,
 * bigints, buffers and null, and refuses `undefined` and booleans that `sqlite3` accepts.
 */
function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.getTime();
  return value;
}
