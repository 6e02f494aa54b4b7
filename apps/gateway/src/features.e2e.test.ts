import { createHmac, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { createLlmteamClient, type WorktrailEvent } from '@llmteam/client';
import { createEngine, MemoryStore, signResponseToken } from '@llmteam/core';
import slackPlugin from '@llmteam/notify-slack';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SHUTDOWN_CLOSE_CODE } from './create-gateway.js';
import { createLogger } from './logger.js';
import { eventually, ORDER_FLOW, startTestGateway, type TestGateway } from './test-support.js';

const BIG_ORDER = { customer: 'big', items: [{ sku: 'gadget', qty: 30, unit_price: 50 }] };
const LINK_SECRET = 'link-secret-for-tests';
const SLACK_SECRET = 'slack-signing-secret';

async function waitingRequest(t: TestGateway, key: string): Promise<{ runId: string; requestId: string }> {
  const started = await t.gql(
    key,
    'mutation($i: JSON) { startRun(segmentId: "order_flow", input: $i) { id } }',
    { i: BIG_ORDER },
  );
  const runId = started.body.data.startRun.id as string;
  const requestId = await eventually(async () => {
    const res = await t.gql(key, 'query($id: ID!) { run(id: $id) { waitingOn { interactions { id } } } }', {
      id: runId,
    });
    return res.body.data.run.waitingOn.interactions[0]?.id as string | undefined;
  }, `run ${runId} to wait for a person`);
  return { runId, requestId };
}

describe('gateway features', () => {
  let t: TestGateway;
  let operator: string;
  let approver: string;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    const store = new MemoryStore();
    const engine = createEngine({
      store,
      logger: createLogger({ level: 'silent' }),
      linkSecret: LINK_SECRET,
      pollIntervalMs: 50,
      plugins: [
        {
          plugin: slackPlugin,
          options: {
            signingSecret: SLACK_SECRET,
            resolveActor: (user: { name: string }) => ({
              subject: user.name,
              groups: ['finance'],
              roles: ['approver'],
            }),
          },
        },
      ],
    });
    t = await startTestGateway({
      store,
      engine,
      linkSecret: LINK_SECRET,
    });
    t.gateway.httpServer.on('upgrade', (_req, socket: Socket) => sockets.add(socket));
    operator = await t.key('default', ['operator', 'approver'], 'fiona', ['finance']);
    approver = operator;
    await t.gql(operator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: ORDER_FLOW });
  });
  afterAll(async () => t?.close());

  it('watchRun loses nothing and repeats nothing when the server drops every socket', async () => {
    const client = createLlmteamClient({ url: t.gateway.url, apiKey: approver, webSocketImpl: WebSocket });
    const { runId, requestId } = await waitingRequest(t, operator);
    const seen: WorktrailEvent[] = [];
    let reconnects = 0;
    let first!: () => void;
    const gotFirst = new Promise<void>((r) => (first = r));
    const watching = (async () => {
      for await (const e of client.watchRun(runId, {
        retry: { initialDelayMs: 20 },
        onReconnect: () => reconnects++,
      })) {
        seen.push(e);
        first();
      }
    })();
    await gotFirst;
    for (const socket of sockets) socket.destroy();
    await client.approve(requestId);
    await watching;
    expect(reconnects).toBeGreaterThan(0);
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.at(-1)?.type).toBe('run.completed');
    await client.close();
  });

  it('resumes from afterSeq: a late subscriber gets only what it missed', async () => {
    const { runId } = await waitingRequest(t, operator);
    const client = createLlmteamClient({ url: t.gateway.url, apiKey: operator, webSocketImpl: WebSocket });
    const events: WorktrailEvent[] = [];
    for await (const e of client.watchRun(runId, { afterSeq: 2, untilTerminal: false })) {
      events.push(e);
      if (e.type === 'interaction.requested') break;
    }
    expect(events[0].seq).toBe(3);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 3));
    await client.close();
  });

  it('interactions(first:) returns the first requests of the SLA-ordered inbox', async () => {
    for (let i = 0; i < 3; i++) await waitingRequest(t, operator);
    const all = await t.gql(operator, '{ interactions(assignee: "fiona") { id } }');
    const firstTwo = await t.gql(operator, '{ interactions(assignee: "fiona", first: 2) { id } }');
    expect(firstTwo.body.data.interactions).toEqual(all.body.data.interactions.slice(0, 2));
    const bad = await t.gql(operator, '{ interactions(first: 0) { id } }');
    expect(bad.body.errors[0].message).toContain('first must be a whole number >= 1, got 0');
  });

  it('interactionRequested delivers new requests to an assignee', async () => {
    const before = t.listeners();
    const ws = createClient({
      url: t.gateway.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${approver}` },
      retryAttempts: 0,
    });
    const got = new Promise<{ id: string; title: string }>((resolve, reject) => {
      ws.subscribe<{ interactionRequested: { id: string; title: string } }>(
        { query: 'subscription { interactionRequested { id title } }' },
        { next: (v) => v.data && resolve(v.data.interactionRequested), error: reject, complete: () => {} },
      );
    });
    await t.listening(before);
    const { requestId } = await waitingRequest(t, operator);
    expect(await got).toEqual({ id: requestId, title: 'Approve a large order' });
    await ws.dispose();
  });

  it('interactionRequested tells the escalation target when a request is escalated to them', async () => {
    const escalee = await t.key('default', ['approver'], 'erin');
    const before = t.listeners();
    const ws = createClient({
      url: t.gateway.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${escalee}` },
      retryAttempts: 0,
    });
    const got = new Promise<{ id: string; status: string }>((resolve, reject) => {
      ws.subscribe<{ interactionRequested: { id: string; status: string } }>(
        { query: 'subscription { interactionRequested { id status } }' },
        { next: (v) => v.data && resolve(v.data.interactionRequested), error: reject, complete: () => {} },
      );
    });
    await t.listening(before);
    const segment = {
      segment_id: 'escalating',
      steps: [
        {
          step_id: 'ask',
          step_type: 'human_task',
          config: {
            task_type: 'approval',
            title: 'Nobody answers',
            assignee_ref: 'group:away',
            timeout: 0.15,
            escalation_chain: ['erin'],
          },
        },
      ],
    };
    await t.gql(operator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: segment });
    const started = await t.gql(operator, 'mutation { startRun(segmentId: "escalating") { id } }');
    const request = await got;
    expect(request.status).toBe('ESCALATED');
    const run = await t.engine.getRun(started.body.data.startRun.id as string);
    expect(run?.run.status).toBe('waiting_human');
    await ws.dispose();
  });

  it('events(types) follows the caller tenant, filtered by type', async () => {
    const before = t.listeners();
    const ws = createClient({
      url: t.gateway.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${operator}` },
      retryAttempts: 0,
    });
    const types: string[] = [];
    const got = new Promise<void>((resolve) => {
      ws.subscribe<{ events: { type: string; runId: string } }>(
        { query: 'subscription { events(types: ["interaction.requested"]) { type runId } }' },
        {
          next: (v) => {
            if (v.data) types.push(v.data.events.type);
            resolve();
          },
          error: () => {},
          complete: () => {},
        },
      );
    });
    await t.listening(before);
    await waitingRequest(t, operator);
    await got;
    expect(new Set(types)).toEqual(new Set(['interaction.requested']));
    await ws.dispose();
  });

  it('lists step types by category, audit entries, and verifies the audit chain', async () => {
    const res = await t.gql(
      operator,
      '{ stepTypes(category: HUMAN) { type category } auditEvents { seq action } verifyAuditChain { valid checked } }',
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.stepTypes).toEqual([{ type: 'human_task', category: 'HUMAN' }]);
    expect(res.body.data.auditEvents.length).toBeGreaterThan(0);
    expect(res.body.data.verifyAuditChain).toEqual({
      valid: true,
      checked: res.body.data.auditEvents.length,
    });
    // Paged with first/after: the pages put together are the whole list (and what was appended since).
    const all = res.body.data.auditEvents as Array<{ seq: number }>;
    const paged: Array<{ seq: number }> = [];
    for (let after = 0; ; ) {
      const page = await t.gql(
        operator,
        'query($after: Int) { auditEvents(first: 2, after: $after) { seq action } }',
        {
          after,
        },
      );
      expect(page.body.errors).toBeUndefined();
      const items = page.body.data.auditEvents as Array<{ seq: number }>;
      expect(items.length).toBeLessThanOrEqual(2);
      if (!items.length) break;
      paged.push(...items);
      after = items[items.length - 1]!.seq;
    }
    expect(paged.slice(0, all.length)).toEqual(all);
    expect(paged.map((e) => e.seq)).toEqual(paged.map((_, i) => i + 1));
    const bad = await t.gql(operator, '{ auditEvents(first: 0) { seq } }');
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('pages runs with Relay cursors, newest first, without repeats', async () => {
    for (let i = 0; i < 3; i++)
      await t.gql(
        operator,
        'mutation { startRun(segmentId: "order_flow", input: { customer: "p", items: [] }) { id } }',
      );
    const all = (
      await t.gql(operator, '{ runs(first: 100) { edges { node { id } } } }')
    ).body.data.runs.edges.map((e: { node: { id: string } }) => e.node.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: {
        body: {
          data: {
            runs: {
              edges: Array<{ node: { id: string }; cursor: string }>;
              pageInfo: { hasNextPage: boolean; endCursor: string };
            };
          };
        };
      } = await t.gql(
        operator,
        'query($a: String) { runs(first: 2, after: $a) { edges { node { id } cursor } pageInfo { hasNextPage endCursor } } }',
        { a: after },
      );
      seen.push(...page.body.data.runs.edges.map((e) => e.node.id));
      if (!page.body.data.runs.pageInfo.hasNextPage) break;
      after = page.body.data.runs.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
    const firstTwo = (await t.gql(operator, '{ runs(first: 2) { edges { cursor } } }')).body.data.runs.edges;
    const fromEdge = await t.gql(
      operator,
      'query($a: String) { runs(first: 1, after: $a) { edges { node { id } } } }',
      { a: firstTwo[0].cursor },
    );
    expect(fromEdge.body.data.runs.edges[0].node.id).toBe(all[1]);
  });

  describe('signed answer links', () => {
    const link = (
      tenantId: string,
      interactionId: string,
      action: 'approve' | 'reject',
      expiresAt = new Date(Date.now() + 60_000).toISOString(),
    ) =>
      signResponseToken(
        {
          tenantId,
          interactionId,
          recipient: 'finance',
          action,
          expiresAt,
          nonce: randomBytes(8).toString('hex'),
        },
        LINK_SECRET,
      );
    const base = () => t.gateway.url.replace('/graphql', '/respond');

    it('shows a confirmation page on GET without answering, answers on POST, and refuses the link a second time', async () => {
      const { runId, requestId } = await waitingRequest(t, operator);
      const token = link('default', requestId, 'approve');
      const page = await fetch(`${base()}/${token}`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Approve a large order');
      expect(html).toContain('<form method="post"');
      const still = await t.gql(operator, 'query($id: ID!) { run(id: $id) { status } }', { id: runId });
      expect(still.body.data.run.status).toBe('WAITING_HUMAN');

      const post = await fetch(`${base()}/${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'comment=ok',
      });
      expect(post.status).toBe(200);
      expect(await post.text()).toContain('Approved');
      const again = await fetch(`${base()}/${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      expect(again.status).toBe(409);
      const other = await fetch(`${base()}/${link('default', requestId, 'reject')}`, { method: 'POST' });
      expect(other.status).toBe(409);
      const answered = await t.gql(
        operator,
        'query($id: ID!) { run(id: $id) { interactions { status responses { subject comment } } } }',
        { id: runId },
      );
      expect(answered.body.data.run.interactions[0].responses).toEqual([
        { subject: 'finance', comment: 'ok' },
      ]);
    });

    it('refuses tampered and expired links without answering', async () => {
      const { requestId } = await waitingRequest(t, operator);
      const token = link('default', requestId, 'approve');
      const tampered = `${token.slice(0, -3)}abc`;
      expect((await fetch(`${base()}/${tampered}`, { method: 'POST' })).status).toBe(400);
      const expired = link('default', requestId, 'approve', new Date(Date.now() - 1000).toISOString());
      expect((await fetch(`${base()}/${expired}`)).status).toBe(400);
      const open = await t.gql(operator, '{ interactions { id } }');
      expect(open.body.data.interactions.map((i: { id: string }) => i.id)).toContain(requestId);
    });
  });

  describe('Slack interactivity callback', () => {
    const slackBody = (interactionId: string) =>
      `payload=${encodeURIComponent(
        JSON.stringify({
          type: 'block_actions',
          user: { id: 'U1', username: 'fiona' },
          actions: [
            {
              action_id: 'llmteam_approve',
              value: JSON.stringify({ tenantId: 'default', interactionId, action: 'approve' }),
            },
          ],
        }),
      )}`;
    const sign = (body: string, ts: number, secret = SLACK_SECRET) =>
      `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
    const post = (body: string, signature: string, ts: number) =>
      fetch(t.gateway.url.replace('/graphql', '/slack/interactions'), {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': signature,
        },
        body,
      });

    it('refuses a bad signature and answers a correctly signed click', async () => {
      const { runId, requestId } = await waitingRequest(t, operator);
      const body = slackBody(requestId);
      const ts = Math.floor(Date.now() / 1000);
      expect((await post(body, sign(body, ts, 'wrong-secret'), ts)).status).toBe(401);
      const open = await t.gql(operator, 'query($id: ID!) { run(id: $id) { status } }', { id: runId });
      expect(open.body.data.run.status).toBe('WAITING_HUMAN');
      const ok = await post(body, sign(body, ts), ts);
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { text: string }).text).toMatch(/^Approved/);
      const closed = await t.gql(
        operator,
        'query($id: ID!) { run(id: $id) { interactions { status outcome { subject } } } }',
        { id: runId },
      );
      expect(closed.body.data.run.interactions[0]).toEqual({
        status: 'COMPLETED',
        outcome: { subject: 'fiona' },
      });
    });
  });

  it('shuts down gracefully: subscriptions closed with 1001 and the reason, then the port closes', async () => {
    const own = await startTestGateway();
    const key = await own.key('default', ['admin']);
    const before = own.listeners();
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      const ws = createClient({
        url: own.gateway.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${key}` },
        retryAttempts: 0,
        on: {
          closed: (e) =>
            resolve({ code: (e as { code: number }).code, reason: (e as { reason: string }).reason }),
        },
      });
      ws.subscribe(
        { query: 'subscription { events { id } }' },
        { next: () => {}, error: () => {}, complete: () => {} },
      );
    });
    await own.listening(before);
    const stopping = own.gateway.stop('maintenance window');
    expect(await closed).toEqual({ code: SHUTDOWN_CLOSE_CODE, reason: 'maintenance window' });
    await stopping;
    await expect(fetch(own.gateway.url.replace('/graphql', '/healthz'))).rejects.toThrow();
    await own.store.close();
  });
});
