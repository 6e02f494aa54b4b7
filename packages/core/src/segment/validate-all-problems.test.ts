import { describe, expect, test } from 'vitest';
import { StepCatalog, validateSegment } from '../index.js';

const catalog = new StepCatalog();
const t = (step_id: string) => ({ step_id, step_type: 'transform', config: { expression: '$' } });

describe('every problem at once', () => {
  test('a duplicate id, an unknown type and a cycle are all listed', () => {
    const result = validateSegment(
      {
        segment_id: 'many',
        steps: [t('start'), t('a'), t('b'), t('a'), { step_id: 'x', step_type: 'nope' }],
        edges: [
          { source_step: 'start', target_step: 'a' },
          { source_step: 'a', target_step: 'b' },
          { source_step: 'b', target_step: 'a' },
          { source_step: 'b', target_step: 'x' },
        ],
      },
      catalog,
    );
    expect(result.problems.map((p) => [p.code, p.path])).toEqual(
      expect.arrayContaining([
        ['duplicate_step_id', '$.steps[3].step_id'],
        ['unknown_step_type', '$.steps[4].step_type'],
        ['cycle', '$.edges[2]'],
      ]),
    );
  });

  test('a self-loop is found when duplicate ids are present, and with a dangling edge', () => {
    const result = validateSegment(
      {
        segment_id: 'self',
        steps: [t('a'), t('b'), t('b')],
        edges: [
          { source_step: 'a', target_step: 'b' },
          { source_step: 'b', target_step: 'b' },
          { source_step: 'b', target_step: 'ghost' },
        ],
      },
      catalog,
    );
    const codes = result.problems.map((p) => p.code);
    expect(codes).toEqual(expect.arrayContaining(['duplicate_step_id', 'dangling_edge', 'cycle']));
    expect(result.problems.find((p) => p.code === 'cycle')).toMatchObject({
      path: '$.edges[1]',
      message: expect.stringMatching(/^cycle b -> b;/),
    });
  });

  test('a changes_requested loop from an approval task is refused: approvals never request changes', () => {
    const segment = (taskType: string) => ({
      segment_id: 'loop',
      steps: [
        { ...t('draft'), inputs: [{ port_id: 'input' }, { port_id: 'feedback' }] },
        { step_id: 'check', step_type: 'human_task', config: { task_type: taskType, title: 'Check' } },
      ],
      edges: [
        { source_step: 'draft', target_step: 'check' },
        {
          source_step: 'check',
          source_port: 'changes_requested',
          target_step: 'draft',
          target_port: 'feedback',
        },
      ],
    });
    expect(validateSegment(segment('review'), catalog).problems).toEqual([]);
    const refused = validateSegment(segment('approval'), catalog);
    expect(refused.problems).toEqual([
      {
        path: '$.edges[1].source_port',
        code: 'port_never_written',
        message: expect.stringContaining(
          'step "check" (human_task) never writes "changes_requested" with its config: only task_type "review" requests changes (this one is "approval")',
        ),
      },
    ]);
  });
});

describe('port data types', () => {
  const typed = (from: string | undefined, to: string | undefined) => ({
    segment_id: 'typed',
    steps: [
      { ...t('a'), outputs: [{ port_id: 'output', ...(from ? { data_type: from } : {}) }] },
      { ...t('b'), inputs: [{ port_id: 'input', ...(to ? { data_type: to } : {}) }] },
    ],
    edges: [{ source_step: 'a', target_step: 'b' }],
  });

  test('a json port into a number port is refused with the edge path and the fix', () => {
    const result = validateSegment(typed('json', 'number'), catalog);
    expect(result.problems).toEqual([
      {
        path: '$.edges[0]',
        code: 'incompatible_data_type',
        message: expect.stringContaining(
          '"a.output" carries json but "b.input" takes number; a json value is not known to be number',
        ),
      },
    ]);
  });

  test('the compatibility matrix: same type, json and any targets, any sources, untyped ports', () => {
    const accepted: Array<[string | undefined, string | undefined]> = [
      ['number', 'number'],
      ['number', 'json'],
      ['object', 'json'],
      ['json', 'json'],
      ['json', 'any'],
      ['any', 'number'],
      ['string', undefined],
      [undefined, 'boolean'],
    ];
    for (const [from, to] of accepted) expect(validateSegment(typed(from, to), catalog).problems).toEqual([]);
    const refused: Array<[string, string]> = [
      ['string', 'number'],
      ['object', 'array'],
      ['boolean', 'string'],
      ['json', 'object'],
    ];
    for (const [from, to] of refused) {
      expect(validateSegment(typed(from, to), catalog).problems.map((p) => p.code)).toEqual([
        'incompatible_data_type',
      ]);
    }
  });

  test('an unknown data_type is refused with the known ones', () => {
    const result = validateSegment(typed('integer', 'number'), catalog);
    expect(result.problems).toEqual([
      {
        path: '$.steps[0].outputs[0].data_type',
        code: 'unknown_data_type',
        message: expect.stringContaining('use one of json, string, number, boolean, object, array, any'),
      },
    ]);
  });
});

describe('duration bounds', () => {
  test('a step timeout or a config duration past 100 years is refused with the field, the bound and the fix', () => {
    const result = validateSegment(
      {
        segment_id: 'long_wait',
        steps: [
          { ...t('a'), timeout: 'P99999999999D', retry: { max_attempts: 2, backoff: 1e15 } },
          {
            step_id: 'b',
            step_type: 'human_task',
            config: { task_type: 'approval', title: 'Wait', timeout: 1e15, sla_warning: 'P99999999999D' },
          },
        ],
        edges: [{ source_step: 'a', target_step: 'b' }],
      },
      catalog,
    );
    expect(result.problems.map((p) => p.path)).toEqual([
      '$.steps[0].timeout',
      '$.steps[0].retry.backoff',
      '$.steps[1].config.timeout',
      '$.steps[1].config.sla_warning',
    ]);
    for (const p of result.problems) {
      expect(p.message).toContain(
        'is longer than the longest duration allowed, P36500D (100 years, 3153600000 seconds); use a shorter duration',
      );
    }
    expect(result.problems[0].message).toMatch(/^"P99999999999D"/);
    expect(result.problems[1].message).toMatch(/^1000000000000000 /);
  });

  test('a duration of 100 years is still accepted', () => {
    const result = validateSegment({ segment_id: 'ok', steps: [{ ...t('a'), timeout: 'P36500D' }] }, catalog);
    expect(result.problems).toEqual([]);
  });
});
