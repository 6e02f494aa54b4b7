// Engine and validation behaviour shown with the built-in human_task (moved here so the
// engine's and segment's own tests name no step type of this folder).
import { describe, expect, test } from 'vitest';
import { createEngine, MemoryStore, type SegmentDefinition, StepCatalog, validateSegment } from '../index.js';

const catalog = new StepCatalog();

describe('engine', () => {
  test('human approval flow', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const seg: SegmentDefinition = {
      segment_id: 'approve',
      steps: [
        {
          step_id: 'ask',
          step_type: 'human_task',
          config: { task_type: 'approval', title: 'Deploy?', assignee_ref: 'alice' },
        },
        { step_id: 'go', step_type: 'transform', config: { expression: '"deployed"' } },
        { step_id: 'no', step_type: 'transform', config: { expression: '"stopped"' } },
      ],
      edges: [
        { source_step: 'ask', source_port: 'approved', target_step: 'go' },
        { source_step: 'ask', source_port: 'rejected', target_step: 'no' },
      ],
    };
    const run = await engine.startRun({ segment: seg, input: { v: 1 } });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_human');
    const [req] = await engine.listInteractions({ assignee: 'alice' });
    await expect(
      engine.respond(req.interactionId, { action: 'approve', actor: { subject: 'bob' } }),
    ).rejects.toMatchObject({ code: 'LLMT_E_NOT_ASSIGNEE' });
    const answered = await engine.respond(req.interactionId, {
      action: 'approve',
      actor: { subject: 'alice' },
    });
    expect(answered.status).toBe('completed');
    await expect(
      engine.respond(req.interactionId, { action: 'reject', actor: { subject: 'alice' } }),
    ).rejects.toMatchObject({ code: 'LLMT_E_INTERACTION_CLOSED' });
    const done = await engine.waitForRun(run.runId, { until: ['completed'], timeoutMs: 2000 });
    expect(done.outputs).toEqual({ go: 'deployed' });
    expect((await engine.verifyAudit()).valid).toBe(true);
  });
});

describe('segment versions', () => {
  test('a stored version is never replaced under the runs executing it', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const v1 = {
      segment_id: 'versioned',
      steps: [
        { step_id: 'ask', step_type: 'human_task', config: { task_type: 'approval', title: 'Go?' } },
        { step_id: 'done', step_type: 'transform', config: { expression: '"first"' } },
      ],
      edges: [{ source_step: 'ask', source_port: 'approved', target_step: 'done' }],
    };
    const run = await engine.startRun({ segment: v1 });
    await engine.waitForRun(run.runId);
    expect((await engine.upsertSegment(v1)).version).toBe('1.0.0');
    const edited = structuredClone(v1);
    edited.steps[1].config = { expression: '"second"' };
    const v2 = await engine.upsertSegment(edited);
    expect(v2.version).toMatch(/^1\.0\.0\+[0-9a-f]{12}$/);
    expect((await engine.store.getSegment('default', 'versioned'))?.version).toBe(v2.version);
    await expect(engine.upsertSegment({ ...edited, version: '1.0.0' })).rejects.toMatchObject({
      code: 'LLMT_E_SEGMENT_VERSION_EXISTS',
    });
    const [request] = await engine.listInteractions({});
    await engine.respond(request.interactionId, { action: 'approve' });
    expect((await engine.waitForRun(run.runId, { until: ['completed'] })).outputs).toEqual({ done: 'first' });
  });
});

describe('validateSegment', () => {
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
});
