import { describe, expect, test } from 'vitest';
import { createEngine, isLlmteamError, MemoryStore, StepCatalog, validateSegment } from '../index.js';

const segment = {
  segment_id: 'orders_in',
  input_schema: {
    type: 'object',
    required: ['customer', 'items'],
    properties: {
      customer: { type: 'string', minLength: 1 },
      items: {
        type: 'array',
        items: { type: 'object', required: ['qty'], properties: { qty: { type: 'integer', minimum: 1 } } },
      },
    },
  },
  steps: [{ step_id: 'echo', step_type: 'transform', config: { expression: '$' } }],
};

describe('segment input_schema', () => {
  test('startRun refuses input that does not fit, with every problem and its path, and starts no run', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    await engine.upsertSegment(segment);
    const error = await engine.startRun({ segmentId: 'orders_in', input: { items: [{ qty: 0 }, {}] } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isLlmteamError(error) && error.code).toBe('LLMT_E_INPUT_INVALID');
    const problems = (error as { details: { problems: Array<{ path: string }> } }).details.problems;
    expect(problems.map((p) => p.path).sort()).toEqual(['$', '$.items[0].qty', '$.items[1]']);
    expect((error as Error).message).toContain('$: missing required property "customer"; add it');
    expect((await engine.store.listRuns('default')).items).toEqual([]);
    const ok = await engine.startRun({
      segmentId: 'orders_in',
      input: { customer: 'acme', items: [{ qty: 2 }] },
    });
    expect((await engine.waitForRun(ok.runId)).status).toBe('completed');
  });

  test('an input_schema that is no JSON Schema is a validation problem at $.input_schema', () => {
    const result = validateSegment({ ...segment, input_schema: { type: 'nope' } }, new StepCatalog());
    expect(result.problems.map((p) => [p.path, p.code])).toEqual([
      ['$.input_schema', 'invalid_input_schema'],
    ]);
  });
});
