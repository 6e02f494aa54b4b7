import { createLlmteamClient } from '@llmteam/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './test-support.js';

const REVIEW = {
  segment_id: 'reviewed_note',
  steps: [
    {
      step_id: 'draft',
      step_type: 'transform',
      inputs: [{ port_id: 'input' }, { port_id: 'feedback' }],
      config: { expression: '{"text": input.text, "revision": $iteration, "last": feedback}' },
    },
    {
      step_id: 'review',
      step_type: 'human_task',
      config: { task_type: 'review', title: 'Review the note', max_revisions: 3 },
    },
  ],
  edges: [
    { source_step: 'draft', target_step: 'review' },
    {
      source_step: 'review',
      source_port: 'changes_requested',
      target_step: 'draft',
      target_port: 'feedback',
    },
  ],
};

const OPEN = `query ($run: ID!) { run(id: $run) { status interactions { id status revision feedbackHistory { revision feedback by } } } }`;

describe('a revision loop over GraphQL', () => {
  let gw: TestGateway;
  let key: string;
  beforeAll(async () => {
    gw = await startTestGateway();
    key = await gw.key('default', ['admin'], 'ed@example.com');
    await gw.gql(key, 'mutation ($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: REVIEW });
  });
  afterAll(() => gw.close());

  it('counts every round and keeps every round feedback on the request', async () => {
    const started = await gw.gql(
      key,
      'mutation { startRun(segmentId: "reviewed_note", input: {text: "hi"}) { id } }',
    );
    const runId = started.body.data.startRun.id;
    for (const feedback of ['shorter', 'friendlier']) {
      await gw.engine.waitForRun(runId, { until: ['waiting_human'] });
      const { body } = await gw.gql(key, OPEN, { run: runId });
      const open = body.data.run.interactions.find((i: { status: string }) => i.status === 'PENDING');
      const res = await gw.gql(
        key,
        'mutation ($id: ID!, $f: String!) { requestChanges(requestId: $id, feedback: $f) { id } }',
        {
          id: open.id,
          f: feedback,
        },
      );
      expect(res.body.errors).toBeUndefined();
    }
    await gw.engine.waitForRun(runId, { until: ['waiting_human'] });
    const { body } = await gw.gql(key, OPEN, { run: runId });
    const latest = body.data.run.interactions.find((i: { status: string }) => i.status === 'PENDING');
    expect(latest.revision).toBe(2);
    expect(latest.feedbackHistory).toEqual([
      { revision: 0, feedback: 'shorter', by: 'ed@example.com' },
      { revision: 1, feedback: 'friendlier', by: 'ed@example.com' },
    ]);
    const client = createLlmteamClient({ url: gw.gateway.url, apiKey: key });
    const [pending] = await client.interactions({ runId, status: 'PENDING' });
    expect(pending.feedbackHistory.map((round) => [round.revision, round.feedback, round.by])).toEqual([
      [0, 'shorter', 'ed@example.com'],
      [1, 'friendlier', 'ed@example.com'],
    ]);
    await client.close();
  });

  it("the client's inbox page of 50 and its run query fit within the complexity limit", async () => {
    const client = createLlmteamClient({ url: gw.gateway.url, apiKey: key });
    const page = await client.inbox({ first: 50 });
    expect(Array.isArray(page.items)).toBe(true);
    const [open] = await client.interactions({ status: 'PENDING' });
    expect((await client.run(open.runId))?.id).toBe(open.runId);
    await client.close();
  });
});
