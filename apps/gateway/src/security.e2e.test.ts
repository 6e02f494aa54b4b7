import { createLlmteamClient, type LlmteamClientError } from '@llmteam/client';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ORDER_FLOW, startTestGateway, type TestGateway } from './test-support.js';

const BIG_ORDER = { customer: 'big', items: [{ sku: 'gadget', qty: 30, unit_price: 50 }] };

async function waitFor<T>(fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** First message of a subscription over graphql-ws: data, or the error it was refused with. */
async function firstOverWs(
  url: string,
  key: string,
  query: string,
  variables: Record<string, unknown> = {},
  ms = 10_000,
) {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: true,
  });
  try {
    return await new Promise<{ data?: unknown; error?: unknown; timeout?: true }>((resolve) => {
      const timer = setTimeout(() => resolve({ timeout: true }), ms);
      client.subscribe(
        { query, variables },
        {
          next: (value) => {
            clearTimeout(timer);
            resolve(value.errors ? { error: value.errors } : { data: value.data });
          },
          error: (error) => {
            clearTimeout(timer);
            resolve({ error });
          },
          complete: () => {},
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

describe('gateway security', () => {
  let t: TestGateway;
  let adminA: string;
  let operatorA: string;
  let _approverA: string;
  let adminB: string;
  let viewerB: string;
  let approverB: string;
  let runId: string;
  let requestId: string;
  let snapshotId: string;

  beforeAll(async () => {
    t = await startTestGateway();
    adminA = await t.key('default', ['admin'], 'root');
    operatorA = await t.key('default', ['operator'], 'ops');
    _approverA = await t.key('default', ['approver'], 'fiona', ['finance']);
    adminB = await t.key('tenant-b', ['admin'], 'b-root');
    viewerB = await t.key('tenant-b', ['viewer'], 'b-viewer');
    approverB = await t.key('tenant-b', ['approver'], 'fiona', ['finance']);
    await t.gql(operatorA, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: ORDER_FLOW });
    const started = await t.gql(
      operatorA,
      'mutation($i: JSON) { startRun(segmentId: "order_flow", input: $i) { id } }',
      { i: BIG_ORDER },
    );
    runId = started.body.data.startRun.id;
    requestId = await waitFor(async () => {
      const res = await t.gql(
        operatorA,
        'query($id: ID!) { run(id: $id) { waitingOn { interactions { id } } } }',
        { id: runId },
      );
      return res.body.data.run?.waitingOn.interactions[0]?.id as string | undefined;
    });
    const snap = await t.gql(operatorA, 'mutation($id: ID!) { createSnapshot(runId: $id) { id } }', {
      id: runId,
    });
    snapshotId = snap.body.data.createSnapshot.id;
  });
  afterAll(async () => t?.close());

  describe('tenant isolation', () => {
    it('shows another tenant nothing through any query', async () => {
      const q = await t.gql(
        adminB,
        `query($id: ID!) { run(id: $id) { id } runs { edges { node { id } } } segments { id } segment(id: "order_flow") { id }
           interactions { id } all: interactions(status: PENDING) { id } auditEvents { action } }`,
        { id: runId },
      );
      expect(q.body.errors).toBeUndefined();
      expect(q.body.data).toEqual({
        run: null,
        runs: { edges: [] },
        segments: [],
        segment: null,
        interactions: [],
        all: [],
        // Only tenant b's own registry writes: its creation and its three keys.
        auditEvents: [
          { action: 'tenant.created' },
          { action: 'api_key.created' },
          { action: 'api_key.created' },
          { action: 'api_key.created' },
        ],
      });
      const own = await t.gql(
        adminA,
        'query($id: ID!) { run(id: $id) { id } segments { id } interactions { id } }',
        { id: runId },
      );
      expect(own.body.data.run.id).toBe(runId);
      expect(own.body.data.segments).toEqual([{ id: 'order_flow' }]);
      expect(own.body.data.interactions).toEqual([{ id: requestId }]);
    });

    it.each([
      ['approve', 'mutation($r: ID!) { approve(requestId: $r) { id } }'],
      ['reject', 'mutation($r: ID!) { reject(requestId: $r) { id } }'],
      ['requestChanges', 'mutation($r: ID!) { requestChanges(requestId: $r, feedback: "x") { id } }'],
      ['respond', 'mutation($r: ID!) { respond(requestId: $r, response: {}) { id } }'],
    ])("refuses %s on another tenant's request as NOT_FOUND", async (_name, query) => {
      const res = await t.gql(adminB, query, { r: requestId });
      expect(res.body.errors[0].extensions.code).toBe('NOT_FOUND');
    });

    it.each([
      ['cancelRun', 'mutation($id: ID!) { cancelRun(id: $id) { id } }'],
      ['pauseRun', 'mutation($id: ID!) { pauseRun(id: $id) { id } }'],
      ['resumeRun', 'mutation($id: ID!) { resumeRun(id: $id) { id } }'],
      ['createSnapshot', 'mutation($id: ID!) { createSnapshot(runId: $id) { id } }'],
    ])("refuses %s on another tenant's run as NOT_FOUND", async (_name, query) => {
      const res = await t.gql(adminB, query, { id: runId });
      expect(res.body.errors[0].extensions.code).toBe('NOT_FOUND');
    });

    it("refuses forkRun of another tenant's snapshot and startRun of its segment", async () => {
      const fork = await t.gql(adminB, 'mutation($s: ID!) { forkRun(snapshotId: $s) { id } }', {
        s: snapshotId,
      });
      expect(fork.body.errors[0].extensions.code).toBe('NOT_FOUND');
      const start = await t.gql(adminB, 'mutation { startRun(segmentId: "order_flow") { id } }');
      expect(start.body.errors[0].extensions.code).toBe('NOT_FOUND');
    });

    it('refuses keys for another tenant and tenant creation outside tenant default', async () => {
      const key = await t.gql(
        adminB,
        'mutation { createApiKey(tenantId: "default", roles: [ADMIN]) { id } }',
      );
      expect(key.body.errors[0].extensions.code).toBe('FORBIDDEN');
      const tenant = await t.gql(adminB, 'mutation { createTenant(id: "evil", name: "Evil") { id } }');
      expect(tenant.body.errors[0].extensions.code).toBe('FORBIDDEN');
    });

    it("refuses a subscription to another tenant's run and delivers none of its events", async () => {
      const res = await firstOverWs(
        t.gateway.wsUrl,
        viewerB,
        'subscription($id: ID!) { runEvents(runId: $id) { seq } }',
        { id: runId },
      );
      expect((res.error as Array<{ extensions: { code: string } }>)[0].extensions.code).toBe('NOT_FOUND');

      const client = createClient({
        url: t.gateway.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${approverB}` },
        retryAttempts: 0,
      });
      const seenB: unknown[] = [];
      const before = t.listeners();
      const stopEvents = client.subscribe(
        { query: 'subscription { events { runId type } }' },
        { next: (v) => seenB.push(v), error: () => {}, complete: () => {} },
      );
      const stopRequests = client.subscribe(
        { query: 'subscription { interactionRequested { id } }' },
        { next: (v) => seenB.push(v), error: () => {}, complete: () => {} },
      );
      await t.listening(before, 2);
      // Tenant default does things: a new run that reaches a request for group finance.
      const other = await t.gql(
        operatorA,
        'mutation($i: JSON) { startRun(segmentId: "order_flow", input: $i) { id } }',
        { i: BIG_ORDER },
      );
      const otherId = other.body.data.startRun.id;
      await waitFor(async () => {
        const r = await t.gql(operatorA, 'query($id: ID!) { run(id: $id) { status } }', { id: otherId });
        return r.body.data.run.status === 'WAITING_HUMAN' ? true : undefined;
      });
      await new Promise((r) => setTimeout(r, 150));
      stopEvents();
      stopRequests();
      await client.dispose();
      expect(seenB).toEqual([]);
    });
  });

  describe('roles and assignees', () => {
    it('refuses an approver who is not an assignee with FORBIDDEN', async () => {
      const outsider = await t.key('default', ['approver'], 'mallory', ['sales']);
      const res = await t.gql(outsider, 'mutation($r: ID!) { approve(requestId: $r) { id } }', {
        r: requestId,
      });
      expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
    });

    it('lets a viewer read but not start, answer or create keys', async () => {
      const viewer = await t.key('default', ['viewer'], 'val');
      expect((await t.gql(viewer, '{ runs { edges { node { id } } } }')).body.errors).toBeUndefined();
      for (const query of [
        'mutation { startRun(segmentId: "order_flow") { id } }',
        `mutation { approve(requestId: "${requestId}") { id } }`,
        'mutation { createApiKey(tenantId: "default", roles: [VIEWER]) { id } }',
      ]) {
        expect((await t.gql(viewer, query)).body.errors[0].extensions.code).toBe('FORBIDDEN');
      }
    });

    it('refuses an operator answering a request (separation of duties)', async () => {
      const res = await t.gql(operatorA, 'mutation($r: ID!) { approve(requestId: $r) { id } }', {
        r: requestId,
      });
      expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
    });

    it('refuses requests without a key, or with an unknown key, as UNAUTHENTICATED', async () => {
      expect((await t.gql(undefined, '{ runs { edges { cursor } } }')).body.errors[0].extensions.code).toBe(
        'UNAUTHENTICATED',
      );
      const bad = await t.gql('llmt_not-a-real-key-at-all-000000', '{ runs { edges { cursor } } }');
      expect(bad.status).toBe(401);
      expect(bad.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });

    it('closes a graphql-ws connection with a bad key with 4403', async () => {
      const res = await firstOverWs(
        t.gateway.wsUrl,
        'llmt_bad-key-0000000000000000',
        'subscription { events { seq } }',
      );
      expect((res.error as { code: number }).code).toBe(4403);
      const client = createLlmteamClient({
        url: t.gateway.url,
        apiKey: 'llmt_bad-key-0000000000000000',
        webSocketImpl: WebSocket,
      });
      const failure = await (async () => {
        for await (const _ of client.watchRun(runId)) return undefined;
      })().catch((e: LlmteamClientError) => e);
      expect((failure as LlmteamClientError).code).toBe('UNAUTHENTICATED');
    });

    it('creates a key whose secret is shown once and stored only as a hash', async () => {
      const res = await t.gql(
        adminA,
        'mutation { createApiKey(tenantId: "default", roles: [APPROVER], subject: "sam") { id secret } }',
      );
      const { id, secret } = res.body.data.createApiKey;
      expect(secret).toMatch(/^llmt_/);
      const stored = (await t.store.listApiKeys('default')).find((k) => k.keyId === id);
      expect(stored?.secretHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(stored)).not.toContain(secret);
      expect((await t.gql(secret, '{ viewer { subject roles } }')).body.data.viewer).toEqual({
        subject: 'sam',
        roles: ['APPROVER'],
      });
    });
  });

  describe('malformed and abusive requests', () => {
    it('refuses malformed GraphQL with GRAPHQL_PARSE_FAILED', async () => {
      const res = await t.gql(adminA, '{ runs { ');
      expect(res.status).toBe(400);
      expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    });

    it('refuses a too-deep query over HTTP and over graphql-ws with QUERY_TOO_DEEP', async () => {
      const deep = '{ runs { edges { node { waitingOn { interactions { outcome { action } } } } } } }';
      const shallow = await startTestGateway({ depthLimit: { maxDepth: 2 } });
      try {
        const key = await shallow.key('default', ['admin']);
        const res = await shallow.gql(key, deep);
        expect(res.status).toBe(400);
        expect(res.body.errors[0].extensions.code).toBe('QUERY_TOO_DEEP');
        const ws = await firstOverWs(
          shallow.gateway.wsUrl,
          key,
          'subscription { interactionRequested { assignees { users } } }',
        );
        expect((ws.error as Array<{ extensions: { code: string } }>)[0].extensions.code).toBe(
          'QUERY_TOO_DEEP',
        );
        const allowed = await firstOverWs(
          shallow.gateway.wsUrl,
          key,
          'subscription { events { id } }',
          {},
          100,
        );
        expect(allowed).toEqual({ timeout: true });
      } finally {
        await shallow.close();
      }
    });

    it('refuses too-complex operations over both transports with QUERY_TOO_COMPLEX', async () => {
      const tight = await startTestGateway({ complexityLimit: { maxComplexity: 50 } });
      try {
        const key = await tight.key('default', ['admin']);
        const res = await tight.gql(key, '{ runs(first: 100) { edges { node { id status } } } }');
        expect(res.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
        const ws = await firstOverWs(
          tight.gateway.wsUrl,
          key,
          'subscription { interactionRequested { responses { action subject value comment at } assignees { users groups } } }',
        );
        expect(JSON.stringify(ws)).toContain('QUERY_TOO_COMPLEX');
      } finally {
        await tight.close();
      }
    });

    it('refuses an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await t.gql(adminA, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', {
        d: { pad: 'x'.repeat(1_100_000) },
      });
      expect(res.status).toBe(413);
      expect(res.body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('refuses a GET query without a CSRF-safe header', async () => {
      const res = await fetch(`${t.gateway.url}?query=${encodeURIComponent('{ health { status } }')}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/CSRF/i);
    });

    it('lists every segment problem with its JSON path under BAD_USER_INPUT', async () => {
      const bad = {
        segment_id: 'broken',
        steps: [
          { step_id: 'a', step_type: 'nope' },
          { step_id: 'a', step_type: 'transform', config: {} },
        ],
        edges: [{ source_step: 'a', target_step: 'ghost' }],
      };
      const res = await t.gql(operatorA, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', {
        d: bad,
      });
      const error = res.body.errors[0];
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(error.extensions.problems.length).toBeGreaterThanOrEqual(3);
      for (const p of error.extensions.problems) expect(p.path).toMatch(/^\$/);
    });

    it('masks unexpected errors outside development', async () => {
      const broken = await startTestGateway();
      try {
        const key = await broken.key('default', ['admin']);
        broken.store.listSegments = async () => {
          throw new Error('secret connection string postgres://u:p@db');
        };
        const res = await broken.gql(key, '{ segments { id } }');
        expect(res.body.errors[0]).toMatchObject({
          message: 'Internal server error',
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        });
        expect(JSON.stringify(res.body)).not.toContain('postgres://');
      } finally {
        await broken.close();
      }
    });
  });
});
