import { describe, expect, test } from 'vitest';
import { StepCatalog, validateSegment } from '../index.js';

const catalog = new StepCatalog();

/** A chain s0 -> s1 -> ... of `n` steps. */
function chain(n: number, extraEdges: Array<{ source_step: string; target_step: string }> = []) {
  return {
    segment_id: 'long',
    steps: Array.from({ length: n }, (_, i) => ({
      step_id: `s${i}`,
      step_type: 'transform',
      config: { expression: `$ + ${i % 7}` },
    })),
    edges: [
      ...Array.from({ length: n - 1 }, (_, i) => ({ source_step: `s${i}`, target_step: `s${i + 1}` })),
      ...extraEdges,
    ],
  };
}

describe('validation of long segments', () => {
  test('a linear chain of 10,000 steps validates without exhausting the stack', () => {
    const result = validateSegment(chain(10_000), catalog);
    expect(result.problems).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test('a cycle through a 10,000-step chain is found, named by its closing edge, and shortened', () => {
    const result = validateSegment(chain(10_000, [{ source_step: 's9999', target_step: 's1' }]), catalog);
    expect(result.problems).toEqual([
      {
        path: '$.edges[9999]',
        code: 'cycle',
        message: expect.stringMatching(
          /^cycle s1 -> s2 -> s3 -> s4 -> s5 -> s6 -> \.\.\. \(9991 more\) -> s9998 -> s9999 -> s1;/,
        ),
      },
    ]);
  });

  test('a segment where every step has an incoming edge says so once, not once per step', () => {
    const result = validateSegment(chain(10_000, [{ source_step: 's9999', target_step: 's0' }]), catalog);
    expect(result.problems.map((p) => p.code)).toEqual(['cycle', 'no_entry']);
  });

  test('reports every cycle, one per loop, not only the first', () => {
    const result = validateSegment(
      {
        segment_id: 'two_loops',
        steps: ['a', 'b', 'c', 'd', 'e'].map((id) => ({
          step_id: id,
          step_type: 'transform',
          config: { expression: '$' },
        })),
        edges: [
          { source_step: 'a', target_step: 'b' },
          { source_step: 'b', target_step: 'c' },
          { source_step: 'c', target_step: 'b' },
          { source_step: 'c', target_step: 'd' },
          { source_step: 'd', target_step: 'e' },
          { source_step: 'e', target_step: 'd' },
        ],
      },
      catalog,
    );
    expect(
      result.problems.filter((p) => p.code === 'cycle').map((p) => [p.path, p.message.split(';')[0]]),
    ).toEqual([
      ['$.edges[2]', 'cycle b -> c -> b'],
      ['$.edges[5]', 'cycle d -> e -> d'],
    ]);
  });
});
