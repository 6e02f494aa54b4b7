import type { SqlExecutor, SqlResult, SqlRow } from '@llmteam/store-sql';
import type sqlite3 from 'sqlite3';

/** Prepared statements kept per connection; multi-row statements vary with row counts. */
const MAX_STATEMENTS = 200;

/** Statements that hand back rows: `all` steps them to the end, `run` would stop at the first row. */
const RETURNS_ROWS = /^\s*(SELECT|PRAGMA|WITH|VALUES)\b|\bRETURNING\b/i;
const RETURNING = /\bRETURNING\b/i;

/** A kept statement and how to step it. */
interface Prepared {
  statement: sqlite3.Statement;
  /** Stepped with `all` (it returns rows), else with `run` (which reports changed rows). */
  rows: boolean;
  /** Its rows are the changed rows. */
  returning: boolean;
}

/**
 * Runs statements on the sqlite3 `Database` handle that TypeORM's driver holds, each
 * prepared once per SQL text and kept. A cached statement costs one trip to the driver's
 * thread pool (bind and step together); `QueryRunner.query` costs three (prepare, step,
 * finalize) plus TypeORM's own bookkeeping. The caller runs one statement at a time: the
 * store's serial queue.
 */
export class PreparedStatements implements SqlExecutor {
  private readonly cache = new Map<string, Prepared>();

  constructor(private readonly db: sqlite3.Database) {}

  /** Runs one statement with `?` placeholders; `affected` counts changed rows (or RETURNING rows). */
  async exec(sql: string, params: readonly unknown[] = []): Promise<SqlResult> {
    let prepared = this.cache.get(sql);
    if (prepared === undefined) {
      prepared = {
        statement: await this.prepare(sql),
        rows: RETURNS_ROWS.test(sql),
        returning: RETURNING.test(sql),
      };
      if (this.cache.size >= MAX_STATEMENTS) {
        // Least recently used first: a Map keeps insertion order and a hit moves to the end.
        const [oldest, evicted] = this.cache.entries().next().value as [string, Prepared];
        this.cache.delete(oldest);
        await finalize(evicted.statement);
      }
    } else {
      this.cache.delete(sql);
    }
    this.cache.set(sql, prepared);
    const { statement, rows: returnsRows, returning } = prepared;
    if (returnsRows) {
      const rows = await new Promise<SqlRow[]>((resolve, reject) => {
        statement.all(params, (error: Error | null, result: SqlRow[]) =>
          error ? reject(error) : resolve(result),
        );
      });
      return { rows, affected: returning ? rows.length : 0 };
    }
    const affected = await new Promise<number>((resolve, reject) => {
      statement.run(params, function (this: sqlite3.RunResult, error: Error | null) {
        if (error) reject(error);
        else resolve(this.changes);
      });
    });
    return { rows: [], affected };
  }

  /** Finalizes every kept statement: SQLite refuses to close a connection that has open ones. */
  async close(): Promise<void> {
    const statements = [...this.cache.values()];
    this.cache.clear();
    await Promise.all(statements.map((p) => finalize(p.statement)));
  }

  private prepare(sql: string): Promise<sqlite3.Statement> {
    return new Promise((resolve, reject) => {
      const statement = this.db.prepare(sql, (error: Error | null) =>
        error ? reject(error) : resolve(statement),
      );
    });
  }
}

function finalize(statement: sqlite3.Statement): Promise<void> {
  return new Promise((resolve) => {
    statement.finalize(() => resolve());
  });
}
