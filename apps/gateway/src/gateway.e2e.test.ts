import { createLlmteamClient, type LlmteamClientError, type WorktrailEvent } from '@llmteam/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, ORDER_FLOW, startTestGateway, type TestGateway } from './test-support.js';

const BIG_ORDER = { customer: 'big', items: [{ sku: 'gadget', qty: 30, unit_price: 50 }] };
const SMALL_ORDER = { customer: 'acme', items: [{ sku: 'widget', qty: 2, unit_price: 10 }] };

describe('gateway end to end (HTTP + graphql-ws)', () => {
  let t: TestGateway;
  let operator: string;
  let approver: string;
  beforeAll(async () => {
    t = await startTestGateway();
    operator = await t.key('default', ['operator'], 'ops');
    approver = await t.key('default', ['approver'], 'fiona', ['finance']);
    const res = await t.gql(
      operator,
      'mutation($d: JSON!) { upsertSegment(definition: $d) { id version } }',
      { d: ORDER_FLOW },
    );
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(async () => t?.close());

  it('answers health without a key and /healthz over plain HTTP', async () => {
    const res = await t.gql(undefined, '{ health { status store version } }');
    expect(res.body.data.health.status).toBe('ok');
    const healthz = await fetch(t.gateway.url.replace('/graphql', '/healthz'));
    expect(healthz.status).toBe(200);
    expect(((await healthz.json()) as { status: string }).status).toBe('ok');
  });

  it('runs a small order to completion without a person', async () => {
    const client = createLlmteamClient({ url: t.gateway.url, apiKey: operator, webSocketImpl: WebSocket });
    const run = await client.startRun('order_flow', SMALL_ORDER);
    const events: WorktrailEvent[] = [];
    for await (const event of client.watchRun(run.id)) events.push(event);
    expect(events.at(-1)?.type).toBe('run.completed');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const done = await client.run(run.id);
    expect(done?.status).toBe('COMPLETED');
    expect(done?.outputs).toMatchObject({ create_order: { customer: 'acme', total: 20, status: 'created' } });
    await client.close();
  });

  it('waits for approval above the threshold, and a second client approving completes the run for the subscriber', async () => {
    const ops = createLlmteamClient({ url: t.gateway.url, apiKey: operator, webSocketImpl: WebSocket });
    const fiona = createLlmteamClient({ url: t.gateway.url, apiKey: approver, webSocketImpl: WebSocket });
    const run = await ops.startRun('order_flow', BIG_ORDER);
    const seen: WorktrailEvent[] = [];
    const watching = (async () => {
      for await (const event of ops.watchRun(run.id)) seen.push(event);
    })();
    const waiting = await eventually(async () => {
      const now = await ops.run(run.id);
      return now?.status === 'WAITING_HUMAN' ? now : undefined;
    }, 'the run to wait for approval');
    expect(waiting?.status).toBe('WAITING_HUMAN');
    expect(waiting?.waitingOn.interactions).toHaveLength(1);
    const [request] = waiting!.waitingOn.interactions;
    expect(request.assignees.groups).toEqual(['finance']);
    const inbox = await fiona.interactions({ assignee: 'fiona' });
    expect(inbox.map((i) => i.id)).toContain(request.id);

    const answered = await fiona.approve(request.id, 'fine');
    expect(answered.status).toBe('COMPLETED');
    await watching;
    expect(seen.at(-1)?.type).toBe('run.completed');
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    const second = await fiona.approve(request.id).catch((e: LlmteamClientError) => e);
    expect((second as LlmteamClientError).code).toBe('CONFLICT');
    const done = await ops.run(run.id);
    expect(done?.outputs).toMatchObject({ create_order: { customer: 'big', total: 1500 } });
    await Promise.all([ops.close(), fiona.close()]);
  });
});
