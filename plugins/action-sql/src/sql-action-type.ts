import {
  type ActionConfig,
  type ActionTypeContext,
  type ActionTypeHandler,
  isLlmteamError,
  LlmteamError,
} from '@llmteam/core';
import { SqlActionError } from './errors.js';
import { bindValues, type CompiledQuery, compileNamedQuery } from './named-query.js';

/** A database the plugin may reach. */
export interface SqlConnectionOptions {
  /** `postgres` (driver `pg`) or `mysql` (driver `mysql2`, for MySQL and MariaDB). */
  driver: 'postgres' | 'mysql';
  /** Connection URL without a password (e.g. local trust auth); else use `url_secret`. */
  url?: string;
  /** Name of the secret holding the connection URL. */
  url_secret?: string;
  /** Pool size. @default 10 */
  max_connections?: number;
}

/** Options of the `database` action type (the plugin options). */
export interface SqlActionTypeOptions {
  /** Databases by name; actions pick one with `connection`. */
  connections: Record<string, SqlConnectionOptions>;
}

/** Default `max_rows` of a `database` action. */
export const DEFAULT_MAX_ROWS = 1000;

interface SqlActionConfig extends ActionConfig {
  connection: string;
  query: string;
  /** `rows` (default), `one` (first row or null) or `none` (only the row count). */
  returns?: 'rows' | 'one' | 'none';
  /** @default 1000 */
  max_rows?: number;
}

interface Runner {
  run(text: string, values: unknown[]): Promise<{ rows: Record<string, unknown>[]; count: number }>;
  close(): Promise<void>;
}

const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
const RETRYABLE = new Set(['40001', '40P01', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

function classify(action: string, connection: string, error: unknown): LlmteamError {
  if (isLlmteamError(error)) return error;
  const code = String((error as { code?: unknown }).code ?? '');
  const message = (error as Error)?.message ?? String(error);
  const lost =
    UNAVAILABLE.has(code) ||
    code.startsWith('08') ||
    /Connection terminated|connection is closed|Connection lost|server closed the connection|Can't add new command when connection is in closed state/i.test(
      message,
    );
  if (lost) {
    return new LlmteamError(
      'LLMT_E_ACTION_UNAVAILABLE',
      `action "${action}": database "${connection}" cannot be reached (${message}); the step retries when it is back`,
      {
        cause: error,
        retryable: true,
        details: { action, field: 'connection', error_code: code || undefined },
      },
    );
  }
  return new LlmteamError('LLMT_E_ACTION_FAILED', `action "${action}": the query failed: ${message}`, {
    cause: error,
    retryable: RETRYABLE.has(code),
    details: { action, field: 'query', error_code: code || undefined },
  });
}

async function openRunner(options: SqlConnectionOptions, url: string): Promise<Runner> {
  if (options.driver === 'postgres') {
    const pg = await import('pg');
    const Pool = (pg.default ?? pg).Pool;
    const pool = new Pool({ connectionString: url, max: options.max_connections ?? 10 });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    return {
      async run(text, values) {
        const result = await pool.query({ text, values });
        return { rows: result.rows, count: result.rowCount ?? result.rows.length };
      },
      close: () => pool.end(),
    };
  }
  const mysql = await import('mysql2/promise');
  const pool = (mysql.default ?? mysql).createPool({
    uri: url,
    connectionLimit: options.max_connections ?? 10,
  });
  pool.on('connection', (conn) => conn.on('error', () => undefined));
  return {
    async run(text, values) {
      const [result] = await pool.query(text, values);
      if (Array.isArray(result)) return { rows: result as Record<string, unknown>[], count: result.length };
      return { rows: [], count: (result as { affectedRows?: number }).affectedRows ?? 0 };
    },
    close: () => pool.end(),
  };
}

/**
 * The `database` action type: named, parameterised queries declared in config (the SQL
 * text never comes from inputs; inputs only fill `:name` parameters), against Postgres
 * (`pg`) or MySQL / MariaDB (`mysql2`), with a row limit.
 */
export function createSqlActionType(options: SqlActionTypeOptions): ActionTypeHandler {
  const runners = new Map<string, Promise<Runner>>();
  const compiled = new Map<string, CompiledQuery>();
  const connectionNames = Object.keys(options.connections ?? {});
  return {
    type: 'database',
    configSchema: {
      type: 'object',
      required: ['connection', 'query'],
      properties: {
        connection: connectionNames.length ? { enum: connectionNames } : { type: 'string' },
        query: { type: 'string', minLength: 1 },
        returns: { enum: ['rows', 'one', 'none'] },
        max_rows: { type: 'integer', minimum: 1 },
      },
    },
    async close() {
      const open = [...runners.values()];
      runners.clear();
      for (const runner of open) await (await runner.catch(() => undefined))?.close().catch(() => undefined);
    },
    async execute(input, ctx: ActionTypeContext) {
      const config = ctx.config as SqlActionConfig;
      const connection = options.connections?.[config.connection];
      if (!connection) {
        throw new SqlActionError(
          'LLMT_E_SQL_CONNECTION',
          `action "${ctx.action}": connection "${config.connection}" is not declared; add it to the plugin's connections (known: ${connectionNames.join(', ') || 'none'})`,
          { details: { action: ctx.action, field: 'connection' } },
        );
      }
      const returns = config.returns ?? 'rows';
      const maxRows = config.max_rows ?? DEFAULT_MAX_ROWS;
      const key = `${connection.driver}\u0000${ctx.action}`;
      let query = compiled.get(key);
      if (!query) {
        query = compileNamedQuery(config.query, connection.driver);
        // A plain read is capped in the database, so a huge table never reaches memory.
        if (returns !== 'none' && /^\s*(select|with)\b/i.test(query.text)) {
          query = {
            ...query,
            text: `SELECT * FROM (${query.text.replace(/;\s*$/, '')}) AS llmt_rows LIMIT ${maxRows + 1}`,
          };
        }
        compiled.set(key, query);
      }
      const values = bindValues(ctx.action, query, input, {
        idempotency_key: ctx.idempotencyKey,
        tenant_id: ctx.tenantId,
        run_id: ctx.runId ?? null,
        correlation_id: ctx.correlationId,
      });
      let runner = runners.get(config.connection);
      if (!runner) {
        runner = (async () => {
          const url = connection.url_secret
            ? await ctx.secrets.get(connection.url_secret, `connections.${config.connection}.url_secret`)
            : connection.url;
          if (!url) {
            throw new SqlActionError(
              'LLMT_E_SQL_CONNECTION',
              `connection "${config.connection}" has neither url nor url_secret; give one in the plugin options`,
              { details: { action: ctx.action, field: `connections.${config.connection}` } },
            );
          }
          return openRunner(connection, url);
        })();
        runners.set(config.connection, runner);
        runner.catch(() => runners.delete(config.connection));
      }
      let result: { rows: Record<string, unknown>[]; count: number };
      try {
        result = await (await runner).run(query.text, values);
      } catch (error) {
        throw classify(ctx.action, config.connection, error);
      }
      if (result.rows.length > maxRows) {
        throw new SqlActionError(
          'LLMT_E_SQL_TOO_MANY_ROWS',
          `action "${ctx.action}": the query returned more than max_rows (${maxRows}) rows; narrow it or raise actions.${ctx.action}.max_rows`,
          { details: { action: ctx.action, field: 'max_rows' } },
        );
      }
      const rows = JSON.parse(JSON.stringify(result.rows)) as Record<string, unknown>[];
      const data =
        returns === 'none'
          ? { row_count: result.count }
          : returns === 'one'
            ? (rows[0] ?? null)
            : { rows, row_count: result.count };
      return { data, code: result.count };
    },
  };
}
