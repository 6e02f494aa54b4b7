import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDER_FLOW, startTestGateway, type TestGateway } from './test-support.js';

describe('startRun checks the input against the segment input_schema', () => {
  let gw: TestGateway;
  let key: string;
  beforeAll(async () => {
    gw = await startTestGateway();
    key = await gw.key('default', ['operator']);
    await gw.gql(key, 'mutation ($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: ORDER_FLOW });
  });
  afterAll(() => gw.close());

  it('refuses order_flow with {customer: "x"} as BAD_USER_INPUT listing every problem with its path', async () => {
    const res = await gw.gql(
      key,
      'mutation ($i: JSON) { startRun(segmentId: "order_flow", input: $i) { id } }',
      {
        i: { customer: 'x', items: [{ sku: 'widget', qty: 0 }] },
      },
    );
    expect(res.body.data).toBeNull();
    expect(res.body.errors[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      llmteamCode: 'LLMT_E_INPUT_INVALID',
    });
    const paths = res.body.errors[0].extensions.problems.map((p: { path: string }) => p.path).sort();
    expect(paths).toEqual(['$.items[0]', '$.items[0].qty']);
    const missing = await gw.gql(
      key,
      'mutation ($i: JSON) { startRun(segmentId: "order_flow", input: $i) { id } }',
      {
        i: { customer: 'x' },
      },
    );
    expect(missing.body.errors[0].message).toContain('$: missing required property "items"; add it');
  });
});
