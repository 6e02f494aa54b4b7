import { createEngine, ManualClock, MemoryStore } from '@llmteam/core';
import { type Client, createClient } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hashApiKey } from './auth/api-keys.js';
import type { GatewayOptions } from './create-gateway.js';
import { createLogger } from './logger.js';
import { ORDER_FLOW, startTestGateway, type TestGateway } from './test-support.js';

const SMALL_ORDER = { customer: 'small', items: [{ sku: 'pen', qty: 1, unit_price: 2 }] };

/** A graphql-ws client that records what it receives and how its socket closed. */
function watch(url: string, key: string, query = 'subscription { events { runId type } }') {
  const received: unknown[] = [];
  const errors: unknown[] = [];
  let closedWith: { code: number; reason: string } | undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    const client: Client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
      on: {
        closed: (e) => {
          closedWith = { code: (e as { code: number }).code, reason: (e as { reason: string }).reason };
          resolve(closedWith);
        },
      },
    });
    client.subscribe(
      { query },
      { next: (v) => received.push(v), error: (e) => errors.push(e), complete: () => {} },
    );
    watching.push(client);
  });
  return { received, errors, closed, closedAt: () => closedWith };
}
const watching: Client[] = [];

/** Starts runs until the watcher got an event (its subscription may not be set up yet at first). */
async function untilDelivered(watcher: { received: unknown[] }, startRun: () => Promise<unknown>) {
  for (let i = 0; i < 100 && watcher.received.length === 0; i++) {
    await startRun();
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(watcher.received.length).toBeGreaterThan(0);
}

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('live graphql-ws sessions', () => {
  const opened: TestGateway[] = [];
  const start = async (options: Partial<GatewayOptions> & { store?: MemoryStore } = {}) => {
    const t = await startTestGateway({ sessions: { sessionCheckIntervalMs: 100 }, ...options });
    opened.push(t);
    return t;
  };
  afterEach(async () => {
    for (const client of watching.splice(0)) await client.dispose();
    for (const t of opened.splice(0)) await t.close();
  });

  it('a key revoked with revokeApiKey loses its live socket (4403) within 5 s and gets no event after', async () => {
    const t = await start();
    const admin = await t.key('default', ['admin']);
    const operator = await t.key('default', ['operator']);
    await t.gql(admin, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: ORDER_FLOW });
    const viewerKey = await t.gql(
      admin,
      'mutation { createApiKey(tenantId: "default", roles: [VIEWER]) { id secret } }',
    );
    const { id, secret } = viewerKey.body.data.createApiKey;
    const live = watch(t.gateway.wsUrl, secret);
    const startRun = () =>
      t.gql(operator, 'mutation($i: JSON) { startRun(segmentId: "order_flow", input: $i) { id } }', {
        i: SMALL_ORDER,
      });
    await untilDelivered(live, startRun);

    const startedAt = Date.now();
    const revoked = await t.gql(admin, 'mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }', {
      id,
    });
    expect(revoked.body.data.revokeApiKey.id).toBe(id);
    expect(revoked.body.data.revokeApiKey.revokedAt).toEqual(expect.any(String));
    expect((await live.closed).code).toBe(4403);
    expect(Date.now() - startedAt).toBeLessThan(5000);
    const seen = live.received.length;
    await t.gql(operator, 'mutation($i: JSON) { startRun(segmentId: "order_flow", input: $i) { id } }', {
      i: SMALL_ORDER,
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(live.received.length).toBe(seen);
    const http = await t.gql(secret, '{ runs { edges { node { id } } } }');
    expect(http.status).toBe(401);
  });

  it('a key revoked by another process (a store write) gets no event delivered after it', async () => {
    const store = new MemoryStore();
    // No sweep during the test: only the check before each delivery can stop the events.
    const t = await start({ store, sessions: { sessionCheckIntervalMs: 60_000 } });
    const operator = await t.key('default', ['operator']);
    const viewer = await t.key('default', ['viewer']);
    await t.gql(operator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: ORDER_FLOW });
    const live = watch(t.gateway.wsUrl, viewer);
    const startRun = () =>
      t.gql(operator, 'mutation($i: JSON) { startRun(segmentId: "order_flow", input: $i) { id } }', {
        i: SMALL_ORDER,
      });
    await untilDelivered(live, startRun);
    await new Promise((r) => setTimeout(r, 200));
    const record = await store.findApiKeyByHash(hashApiKey(viewer));
    await store.putApiKey({ ...record!, revokedAt: new Date().toISOString() });
    const seen = live.received.length;
    await t.gql(operator, 'mutation($i: JSON) { startRun(segmentId: "order_flow", input: $i) { id } }', {
      i: SMALL_ORDER,
    });
    expect((await live.closed).code).toBe(4403);
    await new Promise((r) => setTimeout(r, 200));
    expect(live.received.length).toBe(seen);
  });

  it('an expired key (engine clock) and a suspended tenant lose their live sockets with 4403', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(Date.now());
    const engine = createEngine({ store, clock, logger: createLogger({ level: 'silent' }) });
    const t = await start({ store, engine });
    const admin = await t.key('default', ['admin']);
    const expiresAt = new Date(clock.now() + 60_000).toISOString();
    const created = await t.gql(
      admin,
      'mutation($at: DateTime) { createApiKey(tenantId: "default", roles: [VIEWER], expiresAt: $at) { secret expiresAt } }',
      { at: expiresAt },
    );
    expect(created.body.data.createApiKey.expiresAt).toBe(expiresAt);
    const expiring = watch(t.gateway.wsUrl, created.body.data.createApiKey.secret);
    const acme = await t.key('acme', ['viewer']);
    const suspended = watch(t.gateway.wsUrl, acme);
    await new Promise((r) => setTimeout(r, 300));
    expect(expiring.closedAt()).toBeUndefined();
    expect(suspended.closedAt()).toBeUndefined();

    clock.advance(60_000);
    expect((await expiring.closed).code).toBe(4403);
    const tenant = await store.getTenant('acme');
    await store.putTenant({ ...tenant!, suspendedAt: new Date(clock.now()).toISOString() });
    expect((await suspended.closed).code).toBe(4403);
    expect((await t.gql(acme, '{ viewer { tenantId } }')).status).toBe(401);
  });

  it('caps subscriptions per socket and sockets per key', async () => {
    const t = await start({ sessions: { maxSubscriptionsPerSocket: 2, maxSocketsPerKey: 1 } });
    const key = await t.key('default', ['viewer']);
    const client = createClient({
      url: t.gateway.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
    });
    watching.push(client);
    const results: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      client.subscribe(
        { query: 'subscription { events { type } }' },
        { next: () => {}, error: (e) => results.push(e), complete: () => {} },
      );
    }
    await until(() => results.length === 1);
    expect(results[0]).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('maxSubscriptionsPerSocket'),
        extensions: { code: 'TOO_MANY_REQUESTS', llmteamCode: 'LLMT_E_GW_SESSION_LIMIT' },
      }),
    ]);
    const second = watch(t.gateway.wsUrl, key);
    expect((await second.closed).code).toBe(4429);
  });

  it('validation errors over graphql-ws carry their own codes', async () => {
    const t = await start();
    const key = await t.key('default', ['viewer']);
    const unknownField = watch(t.gateway.wsUrl, key, 'subscription { events { nope } }');
    const badVariable = watch(
      t.gateway.wsUrl,
      key,
      'subscription($id: ID!) { runEvents(runId: $id) { seq } }',
    );
    await until(() => unknownField.errors.length > 0 && badVariable.errors.length > 0);
    expect((unknownField.errors[0] as Array<{ extensions: unknown }>)[0].extensions).toEqual({
      code: 'GRAPHQL_VALIDATION_FAILED',
    });
    expect((badVariable.errors[0] as Array<{ extensions: unknown }>)[0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
    });
  });

  it('gives no introspection or "Did you mean" hints to anonymous callers, and none by default in production', async () => {
    const t = await start();
    const key = await t.key('default', ['viewer']);
    const introspect = '{ __schema { queryType { name } } }';
    const anonymous = await t.gql(undefined, introspect);
    expect(anonymous.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await t.gql(key, introspect)).body.data.__schema.queryType.name).toBe('Query');
    const typo = await t.gql(undefined, '{ healt { status } }');
    expect(typo.body.errors[0].message).not.toMatch(/Did you mean/);
    expect((await t.gql(key, '{ healt { status } }')).body.errors[0].message).toMatch(/Did you mean/);

    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    let prod: TestGateway;
    try {
      prod = await start();
    } finally {
      process.env.NODE_ENV = before;
    }
    const prodKey = await prod.key('default', ['admin']);
    expect((await prod.gql(prodKey, introspect)).body.errors[0].extensions.code).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
    expect((await prod.gql(prodKey, '{ healt { status } }')).body.errors[0].message).not.toMatch(
      /Did you mean/,
    );
    const overWs = watch(prod.gateway.wsUrl, prodKey, '{ __schema { queryType { name } } }');
    await until(() => overWs.errors.length > 0);
    expect((overWs.errors[0] as Array<{ message: string }>)[0].message).toMatch(/introspection/i);
  });
});
