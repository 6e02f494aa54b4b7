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
      this.compiled.set(expression, expr);
    }
    return expr;
  }

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

/** Syntax check used by validation: the JSONata parse error, or undefined. */
export function expressionSyntaxError(expression: unknown): string | undefined {
  if (typeof expression !== 'string') return undefined;
  try {
    jsonata(expression);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export { LlmteamError };
