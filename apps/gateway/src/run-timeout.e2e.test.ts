import { createEngine, ManualClock, MemoryStore } from '@llmteam/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './test-support.js';

const WAIT = {
  segment_id: 'timed',
  timeout: 'P1D',
  steps: [
    {
      step_id: 'ask',
      step_type: 'human_task',
      config: { task_type: 'approval', title: 'Approve' },
      outputs: [{ port_id: 'approved' }, { port_id: 'rejected' }],
    },
  ],
};

describe('startRun timeout and maxRetries over GraphQL', () => {
  let gw: TestGateway;
  let key: string;
  const clock = new ManualClock(Date.parse('2026-05-01T08:00:00Z'));
  beforeAll(async () => {
    const store = new MemoryStore();
    gw = await startTestGateway({ store, engine: createEngine({ store, clock, pollIntervalMs: 50 }) });
    key = await gw.key('default', ['operator']);
    await gw.gql(key, 'mutation ($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: WAIT });
  });
  afterAll(() => gw.close());

  it('a run started with timeout "PT1H" shows its deadline and fails with LLMT_E_RUN_TIMEOUT past it', async () => {
    const started = await gw.gql(
      key,
      'mutation { startRun(segmentId: "timed", timeout: "PT1H", maxRetries: 2) { id deadline maxRetries } }',
    );
    const run = started.body.data.startRun;
    expect(run).toMatchObject({ deadline: '2026-05-01T09:00:00.000Z', maxRetries: 2 });
    await gw.engine.waitForRun(run.id);
    clock.advance(3_600_000);
    await (gw.engine as unknown as { poll(): Promise<void> }).poll();
    await gw.engine.waitForRun(run.id, { until: ['failed'] });
    const read = await gw.gql(
      key,
      'query ($id: ID!) { run(id: $id) { status error { code } interactions { status } } }',
      {
        id: run.id,
      },
    );
    expect(read.body.data.run).toEqual({
      status: 'FAILED',
      error: { code: 'LLMT_E_RUN_TIMEOUT' },
      interactions: [{ status: 'CANCELLED' }],
    });
  });

  it('takes seconds as a number string and the segment timeout when none is given', async () => {
    const seconds = await gw.gql(
      key,
      'mutation { startRun(segmentId: "timed", timeout: "90") { deadline } }',
    );
    expect(Date.parse(seconds.body.data.startRun.deadline) - clock.now()).toBe(90_000);
    const own = await gw.gql(key, 'mutation { startRun(segmentId: "timed") { deadline maxRetries } }');
    expect(Date.parse(own.body.data.startRun.deadline) - clock.now()).toBe(86_400_000);
    expect(own.body.data.startRun.maxRetries).toBeNull();
  });

  it('refuses a timeout that is no duration as BAD_USER_INPUT naming the field', async () => {
    const res = await gw.gql(key, 'mutation { startRun(segmentId: "timed", timeout: "soon") { id } }');
    expect(res.body.errors[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      llmteamCode: 'LLMT_E_INVALID_ARGUMENT',
    });
    expect(res.body.errors[0].message).toContain('timeout');
  });
});
