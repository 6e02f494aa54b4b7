import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './test-support.js';

const CHILD = {
  segment_id: 'spend_approval',
  version: '1.0.0',
  steps: [
    {
      step_id: 'ask',
      step_type: 'human_task',
      config: { task_type: 'approval', title: 'Approve the spend', assignee_ref: 'group:finance' },
    },
  ],
};

const PARENT = {
  segment_id: 'purchase',
  steps: [
    { step_id: 'prepare', step_type: 'transform', config: { expression: '{"amount": amount}' } },
    { step_id: 'approval', step_type: 'segment', config: { segment_id: 'spend_approval', version: '1.0.0' } },
  ],
  edges: [{ source_step: 'prepare', target_step: 'approval' }],
};

const RUN = `query($id: ID!) { run(id: $id) { status outputs
  waitingOn { interactions { id runId title } children { stepId runId segmentId status } } } }`;

describe('child segments over GraphQL', () => {
  let t: TestGateway;
  let operator: string;
  let approver: string;
  beforeAll(async () => {
    t = await startTestGateway();
    operator = await t.key('default', ['operator'], 'olga');
    approver = await t.key('default', ['approver'], 'fiona', ['finance']);
    for (const d of [CHILD, PARENT]) {
      const res = await t.gql(operator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', {
        d,
      });
      expect(res.body.errors).toBeUndefined();
    }
  });
  afterAll(async () => t?.close());

  it("a request inside a child run shows in the parent's waitingOn and in the approver's inbox", async () => {
    const started = await t.gql(
      operator,
      'mutation { startRun(segmentId: "purchase", input: { amount: 420 }) { id } }',
    );
    const runId = started.body.data.startRun.id as string;
    let run: any;
    for (let i = 0; i < 250; i++) {
      run = (await t.gql(operator, RUN, { id: runId })).body.data.run;
      if (run.waitingOn.interactions.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(run.status).toBe('WAITING_ACTION');
    const [child] = run.waitingOn.children;
    expect(child).toMatchObject({ stepId: 'approval', segmentId: 'spend_approval', status: 'WAITING_HUMAN' });
    const [request] = run.waitingOn.interactions;
    expect(request).toMatchObject({ runId: child.runId, title: 'Approve the spend' });

    const inbox = await t.gql(approver, '{ interactions(status: PENDING) { id runId } }');
    expect(inbox.body.data.interactions).toEqual([{ id: request.id, runId: child.runId }]);
    const approved = await t.gql(approver, 'mutation($id: ID!) { approve(requestId: $id) { status } }', {
      id: request.id,
    });
    expect(approved.body.data.approve.status).toBe('COMPLETED');
    await t.engine.waitForRun(runId, { until: ['completed', 'failed'] });
    const done = (await t.gql(operator, RUN, { id: runId })).body.data.run;
    expect(done.status).toBe('COMPLETED');
    expect(done.outputs.approval.ask).toMatchObject({ action: 'approve', by: 'fiona' });
    expect(done.waitingOn).toEqual({ interactions: [], children: [] });
  });

  it('refuses a parent naming an unknown child segment, with the field path', async () => {
    const res = await t.gql(operator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', {
      d: {
        ...PARENT,
        segment_id: 'broken',
        steps: [{ ...PARENT.steps[1], config: { segment_id: 'nope' } }],
        edges: [],
      },
    });
    expect(res.body.errors?.[0]?.message).toContain('$.steps[0].config.segment_id');
    expect(JSON.stringify(res.body.errors?.[0]?.extensions)).toContain('unknown_segment');
  });
});
