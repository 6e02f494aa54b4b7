import { describe, expect, test } from 'vitest';
import { StepCatalog, validateSegment } from '../index.js';

const catalog = new StepCatalog();

describe('validateSegment', () => {
  test('accepts a valid segment', () => {
    const result = validateSegment(
      {
        segment_id: 'ok',
        steps: [
          { step_id: 'a', step_type: 'transform', config: { expression: '$' } },
          { step_id: 'b', step_type: 'condition', config: { expression: '$ > 1' } },
        ],
        edges: [{ source_step: 'a', target_step: 'b' }],
      },
      catalog,
    );
    expect(result.problems).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test('refuses a cycle and names it', () => {
    const result = validateSegment(
      {
        segment_id: 'loop',
        steps: [
          { step_id: 'start', step_type: 'transform', config: { expression: '$' } },
          { step_id: 'a', step_type: 'transform', config: { expression: '$' } },
          { step_id: 'b', step_type: 'transform', config: { expression: '$' } },
        ],
        edges: [
          { source_step: 'start', target_step: 'a' },
          { source_step: 'a', target_step: 'b' },
          { source_step: 'b', target_step: 'a' },
        ],
      },
      catalog,
    );
    expect(result.problems.find((p) => p.code === 'cycle')?.message).toMatch(/a -> b -> a|b -> a -> b/);
  });

  test('reports unreachable steps', () => {
    const result = validateSegment(
      {
        segment_id: 'island',
        steps: [
          { step_id: 'a', step_type: 'transform', config: { expression: '$' } },
          { step_id: 'x', step_type: 'transform', config: { expression: '$' } },
          { step_id: 'y', step_type: 'transform', config: { expression: '$' } },
        ],
        edges: [
          { source_step: 'x', target_step: 'y' },
          { source_step: 'y', target_step: 'x' },
        ],
      },
      catalog,
    );
    const codes = result.problems.map((p) => p.code);
    expect(codes).toContain('cycle');
    expect(result.problems.filter((p) => p.code === 'unreachable_step').map((p) => p.path)).toEqual([
      '$.steps[1]',
      '$.steps[2]',
    ]);
  });

  test('rejects a malformed document with schema paths', () => {
    const result = validateSegment({ steps: [{ step_type: 'transform', extra: 1 }] }, catalog);
    expect(result.valid).toBe(false);
    expect(result.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['$', '$.steps[0]']));
    expect(result.problems.some((p) => p.message.includes('segment_id'))).toBe(true);
  });
});
