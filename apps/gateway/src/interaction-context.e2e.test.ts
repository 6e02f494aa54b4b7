import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { redactPaths } from './schema/redact-paths.js';
import { startTestGateway, type TestGateway } from './test-support.js';

const TAX_ID = 'DE-TAX-987654321';
const CARD = '4111-1111-1111-1111';
const KYC = {
  segment_id: 'kyc',
  version: '1.0.0',
  steps: [
    {
      step_id: 'review',
      step_type: 'human_task',
      config: {
        task_type: 'approval',
        title: 'Approve the customer',
        assignee_ref: 'group:compliance',
        sealed_fields: ['customer.tax_id', 'card', '/accounts/0/iban'],
      },
    },
  ],
};
const INPUT = {
  customer: { name: 'Ada', tax_id: TAX_ID },
  card: CARD,
  accounts: [{ iban: 'DE89370400440532013000', bank: 'Commerzbank' }],
  amount: 1200,
};

describe('Interaction.context', () => {
  let t: TestGateway;
  let operator: string;
  let approver: string;
  beforeAll(async () => {
    t = await startTestGateway();
    operator = await t.key('default', ['operator']);
    approver = await t.key('default', ['approver'], 'cora', ['compliance']);
    await t.gql(operator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: KYC });
  });
  afterAll(async () => t?.close());

  it("shows the approver the request's context with sealed values redacted, over HTTP and graphql-ws", async () => {
    await t.gql(operator, 'mutation($i: JSON) { startRun(segmentId: "kyc", input: $i) { id } }', {
      i: INPUT,
    });
    let inbox = await t.gql(approver, '{ interactions { id title context } }');
    for (let i = 0; i < 200 && inbox.body.data.interactions.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      inbox = await t.gql(approver, '{ interactions { id title context } }');
    }
    const client = createClient({
      url: t.gateway.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${approver}` },
      retryAttempts: 0,
    });
    const live = (await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: '{ interactions { context } }' },
        { next: (v) => resolve(v.data), error: resolve, complete: () => {} },
      );
    })) as { interactions: Array<{ context: unknown }> };
    await client.dispose();

    const [request] = inbox.body.data.interactions;
    const expected = {
      customer: { name: 'Ada', tax_id: '[sealed]' },
      accounts: [{ iban: '[sealed]', bank: 'Commerzbank' }],
      amount: 1200,
    };
    expect(request.context).toEqual(expected);
    expect(live.interactions[0]?.context).toEqual(expected);
    for (const body of [JSON.stringify(inbox.body), JSON.stringify(live)]) {
      expect(body).not.toContain(TAX_ID);
      expect(body).not.toContain(CARD);
      expect(body).not.toContain('DE89370400440532013000');
    }
  });
});

describe('redactPaths', () => {
  it('redacts dotted paths, JSON pointers, array indexes and wildcards without touching the input', () => {
    const value = { a: { b: 1, c: 2 }, list: [{ x: 1 }, { x: 2 }], 'k/e~y': 3 };
    const redacted = redactPaths(value, ['a.b', 'list.*.x', '/k~1e~0y', 'missing.path', 'a.b.deeper']);
    expect(redacted).toEqual({
      a: { b: '[sealed]', c: 2 },
      list: [{ x: '[sealed]' }, { x: '[sealed]' }],
      'k/e~y': '[sealed]',
    });
    expect(value.a.b).toBe(1);
  });
});
