import { LlmteamError, type SegmentProblem } from '../errors.js';
import { createAjv, describeAjvError, toJsonPath, type ValidateFunction } from '../util/ajv.js';
import type { SegmentDefinition } from './types.js';

/**
 * Checks run input against segments' `input_schema`s, each compiled once (ajv, all
 * errors). One per engine.
 */
export class InputSchemas {
  private readonly ajv = createAjv();
  private readonly compiled = new WeakMap<object, ValidateFunction>();

  /** The problem with `segment.input_schema` itself, when ajv cannot compile it. */
  schemaProblem(segment: SegmentDefinition): SegmentProblem | undefined {
    if (!segment.input_schema || typeof segment.input_schema !== 'object') return undefined;
    try {
      this.validator(segment.input_schema);
      return undefined;
    } catch (error) {
      return {
        path: '$.input_schema',
        code: 'invalid_input_schema',
        message: `input_schema is not a valid JSON Schema: ${(error as Error).message}`,
      };
    }
  }

  /**
   * Refuses `input` when it does not satisfy the segment's `input_schema`.
   * @throws LlmteamError `LLMT_E_INPUT_INVALID` listing every problem with its JSON path
   *   (`$` is the input) in the message and in `details.problems`.
   */
  check(segment: SegmentDefinition, input: unknown): void {
    if (!segment.input_schema || typeof segment.input_schema !== 'object') return;
    const validate = this.validator(segment.input_schema);
    if (validate(input)) return;
    const problems = (validate.errors ?? []).map((e) => ({
      path: toJsonPath('$', e.instancePath),
      code: e.keyword,
      message: describeAjvError(e),
    }));
    throw new LlmteamError(
      'LLMT_E_INPUT_INVALID',
      `the input of segment "${segment.segment_id}" does not satisfy its input_schema (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems
        .map((p) => `  ${p.path}: ${p.message}`)
        .join('\n')}`,
      { details: { problems } },
    );
  }

  private validator(schema: object): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(schema, validate);
    }
    return validate;
  }
}
