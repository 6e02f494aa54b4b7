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

  test('reports every problem at once, each with a JSON path', () => {
    const result = validateSegment(
      {
        segment_id: 'bad',
        steps: [
          { step_id: 'a', step_type: 'transform', config: {} },
          { step_id: 'a', step_type: 'nope' },
          { step_id: 'c', step_type: 'condition', config: { expression: '$ >' } },
          { step_id: 'h', step_type: 'human_task', config: { task_type: 'vote', title: 'x' } },
        ],
        edges: [
          { source_step: 'a', target_step: 'zzz' },
          { source_step: 'c', source_port: 'maybe', target_step: 'h' },
          { source_step: 'c', source_port: 'maybe', target_step: 'h' },
        ],
      },
      catalog,
    );
    expect(result.valid).toBe(false);
    const byCode = (code: string) => result.problems.filter((p) => p.code === code).map((p) => p.path);
    expect(byCode('invalid_config')).toEqual(
      expect.arrayContaining(['$.steps[0].config', '$.steps[3].config.task_type']),
    );
    expect(byCode('duplicate_step_id')).toEqual(['$.steps[1].step_id']);
    expect(byCode('unknown_step_type')).toEqual(['$.steps[1].step_type']);
    expect(byCode('invalid_step')).toEqual(['$.steps[2].config.expression']);
    expect(byCode('dangling_edge')).toEqual(['$.edges[0].target_step']);
    expect(byCode('unknown_port')).toEqual(['$.edges[1].source_port', '$.edges[2].source_port']);
    expect(byCode('duplicate_edge')).toEqual(['$.edges[2]']);
    for (const p of result.problems) expect(p.message.length).toBeGreaterThan(10);
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

  test('allows a revision loop from a human_task back to the revising step', () => {
    const result = validateSegment(
      {
        segment_id: 'review',
        steps: [
          {
            step_id: 'draft',
            step_type: 'transform',
            config: { expression: '$' },
            inputs: [{ port_id: 'input' }, { port_id: 'feedback' }],
          },
          {
            step_id: 'review',
            step_type: 'human_task',
            config: { task_type: 'review', title: 'Review', max_revisions: 2 },
          },
          { step_id: 'publish', step_type: 'transform', config: { expression: '$' } },
        ],
        edges: [
          { source_step: 'draft', target_step: 'review' },
          {
            source_step: 'review',
            source_port: 'changes_requested',
            target_step: 'draft',
            target_port: 'feedback',
          },
          { source_step: 'review', source_port: 'approved', target_step: 'publish' },
        ],
      },
      catalog,
    );
    expect(result.problems).toEqual([]);
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
