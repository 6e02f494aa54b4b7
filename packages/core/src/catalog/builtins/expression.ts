import jsonataModule from 'jsonata';
import { LlmteamError, StepError } from '../../errors.js';

type Jsonata = typeof jsonataModule;
const jsonata = ((jsonataModule as unknown as { default?: Jsonata }).default ?? jsonataModule) as Jsonata;

/** Where an expression sits, for error messages: `step "price" config.expression`. */
export interface ExpressionSite {
  stepId?: string;
  /** The config field holding the expression, e.g. `config.expression`. */
  field: string;
}

/**
 * A JSONata error as one line: where (step, field, position), JSONata's code and message,
 * and a short excerpt around the position; never the whole expression, which may be long.
 */
export function describeExpressionError(
  expression: string,
  cause: unknown,
  site: ExpressionSite | undefined,
  what: 'is invalid' | 'failed',
): string {
  const e = (cause ?? {}) as { message?: string; position?: number; code?: string };
  const at = site ? `${site.stepId ? `step "${site.stepId}" ` : ''}${site.field}` : 'JSONata expression';
  const position = typeof e.position === 'number' ? e.position : undefined;
  let excerpt = '';
  if (position !== undefined) {
    const from = Math.max(0, position - 20);
    const to = Math.min(expression.length, position + 20);
    const text = expression.slice(from, to).replace(/\s+/g, ' ');
    excerpt = ` near ${from > 0 ? '…' : ''}${JSON.stringify(text)}${to < expression.length ? '…' : ''}`;
  }
  return `${at} ${what}${position !== undefined ? ` at position ${position}` : ''}${e.code ? ` (${e.code})` : ''}: ${e.message ?? String(cause)}${excerpt}`;
}

/** Compiles JSONata expressions once per expression text. One cache per catalog. */
export class ExpressionCache {
  private compiled = new Map<string, ReturnType<Jsonata>>();

  compile(expression: string, site?: ExpressionSite): ReturnType<Jsonata> {
    let expr = this.compiled.get(expression);
    if (!expr) {
      try {
        expr = jsonata(expression);
      } catch (cause) {
        throw StepError.nonRetryable(describeExpressionError(expression, cause, site, 'is invalid'), {
          code: 'LLMT_E_EXPRESSION',
          cause,
        });
      }
      // A bound, not an eviction policy: a process that sees ever new expressions stays flat.
      if (this.compiled.size >= 20_000) this.compiled.clear();
      this.compiled.set(expression, expr);
    }
    return expr;
  }

  /**
   * The JSONata syntax error of `expression`, or undefined. Parsed once per text: JSONata
   * builds its parser's symbol table on every parse, so a long segment repeating an
   * expression checks it once.
   */
  syntaxError(expression: unknown): string | undefined {
    if (typeof expression !== 'string') return undefined;
    if (this.compiled.has(expression)) return undefined;
    const known = this.invalid.get(expression);
    if (known !== undefined) return known;
    try {
      this.compile(expression);
      return undefined;
    } catch (error) {
      const message = ((error as LlmteamError).cause as Error | undefined)?.message ?? String(error);
      if (this.invalid.size >= 1000) this.invalid.clear();
      this.invalid.set(expression, message);
      return message;
    }
  }
  private invalid = new Map<string, string>();

  /**
   * Evaluates `expression` over `input`; `bindings` become `$name` variables. A failure is a
   * non-retryable `LLMT_E_EXPRESSION` naming `site` (step and field), the position and an
   * excerpt, never the whole expression.
   */
  async evaluate(
    expression: string,
    input: unknown,
    bindings?: Record<string, unknown>,
    site?: ExpressionSite,
  ): Promise<unknown> {
    const expr = this.compile(expression, site);
    try {
      return await expr.evaluate(input, bindings);
    } catch (cause) {
      throw StepError.nonRetryable(describeExpressionError(expression, cause, site, 'failed'), {
        code: 'LLMT_E_EXPRESSION',
        cause,
      });
    }
  }
}

export { LlmteamError };
