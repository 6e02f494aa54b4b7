import jsonataModule from 'jsonata';
import { LlmteamError, StepError } from '../../errors.js';

type Jsonata = typeof jsonataModule;
const jsonata = ((jsonataModule as unknown as { default?: Jsonata }).default ?? jsonataModule) as Jsonata;

/** Compiles JSONata expressions once per expression text. One cache per catalog. */
export class ExpressionCache {
  private compiled = new Map<string, ReturnType<Jsonata>>();

  compile(expression: string): ReturnType<Jsonata> {
    let expr = this.compiled.get(expression);
    if (!expr) {
      try {
        expr = jsonata(expression);
      } catch (cause) {
        throw StepError.nonRetryable(
          `invalid JSONata expression ${JSON.stringify(expression)}: ${(cause as Error).message}`,
          {
            code: 'LLMT_E_EXPRESSION',
            cause,
          },
        );
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

  /** Evaluates `expression` over `input`; `bindings` become `$name` variables. */
  async evaluate(expression: string, input: unknown, bindings?: Record<string, unknown>): Promise<unknown> {
    const expr = this.compile(expression);
    try {
      return await expr.evaluate(input, bindings);
    } catch (cause) {
      throw StepError.nonRetryable(
        `JSONata expression ${JSON.stringify(expression)} failed: ${(cause as Error).message}`,
        {
          code: 'LLMT_E_EXPRESSION',
          cause,
        },
      );
    }
  }
}

export { LlmteamError };
