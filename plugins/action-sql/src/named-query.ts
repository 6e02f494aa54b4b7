import { LlmteamError } from '@llmteam/core';

/** A query with its `:name` parameters turned into driver placeholders. */
export interface CompiledQuery {
  text: string;
  /** Parameter names in placeholder order. */
  names: string[];
}

/**
 * Turns `:name` parameters into `$1, $2` (Postgres) or `?` (MySQL). Quoted strings,
 * quoted identifiers, comments and Postgres `::` casts are left alone. The text comes from
 * the action's config only; inputs only ever become parameter values.
 */
export function compileNamedQuery(sql: string, dialect: 'postgres' | 'mysql'): CompiledQuery {
  const names: string[] = [];
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === ':' && sql[i + 1] === ':') {
      out += '::';
      i += 2;
    } else if (c === ':' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const match = /^[A-Za-z_]\w*/.exec(sql.slice(i + 1))!;
      names.push(match[0]);
      out += dialect === 'postgres' ? `$${names.length}` : '?';
      i += 1 + match[0].length;
    } else {
      out += c;
      i++;
    }
  }
  return { text: out, names };
}

/** Values for the compiled parameters, from the input and the call's own values. */
export function bindValues(
  action: string,
  query: CompiledQuery,
  input: unknown,
  call: Record<string, unknown>,
): unknown[] {
  const values = (input && typeof input === 'object' && !Array.isArray(input) ? input : {}) as Record<
    string,
    unknown
  >;
  return query.names.map((name) => {
    const value = Object.hasOwn(values, name) ? values[name] : call[name];
    if (value === undefined) {
      throw new LlmteamError(
        'LLMT_E_ACTION_REQUEST_INVALID',
        `action "${action}": the query needs input.${name} for :${name}; nothing was run`,
        { details: { action, field: `input.${name}` } },
      );
    }
    return value !== null && typeof value === 'object' && !(value instanceof Date)
      ? JSON.stringify(value)
      : value;
  });
}
