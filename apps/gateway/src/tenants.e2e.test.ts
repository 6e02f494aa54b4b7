import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '@llmteam/store-sqlite';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from './test-support.js';

const ASK = {
  segment_id: 'ask',
  steps: [{ step_id: 'ask', step_type: 'human_task', config: { task_type: 'approval', title: 'OK?' } }],
};
const NOTE = {
  segment_id: 'note',
  steps: [{ step_id: 'note', step_type: 'transform', config: { expression: '$' } }],
};
const TENANT_FIELDS = `id name tier status suspendedAt suspensionReason dataRegion features createdAt
  limits { name limit used remaining override tierDefault }`;

/** A graphql-ws client following the tenant's events, recording how its socket closed. */
function follow(url: string, key: string) {
  const received: unknown[] = [];
  let client!: Client;
  const closed = new Promise<{ code: number; at: number }>((resolve) => {
    client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
      on: { closed: (e) => resolve({ code: (e as { code: number }).code, at: Date.now() }) },
    });
    client.subscribe(
      { query: 'subscription { events { runId type } }' },
      { next: (v) => received.push(v), error: () => {}, complete: () => {} },
    );
  });
  return { client, received, closed };
}

type Limit = { name: string; limit: number | null; used: number | null; override: number | null };
const limitOf = (tenant: { limits: Limit[] }, name: string) => tenant.limits.find((l) => l.name === name);

describe('tenants over GraphQL and graphql-ws, on a real SQLite file', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-tenants-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const opened: TestGateway[] = [];
  const clients: Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.dispose();
    for (const t of opened.splice(0)) await t.close();
  });
  const start = async (file: string) => {
    const t = await startTestGateway({
      store: createSqliteStore({ path: join(dir, file) }),
      sessions: { sessionCheckIntervalMs: 60_000 },
    });
    opened.push(t);
    return t;
  };
  const data = (res: { status: number; body: any }) => {
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  };
  const errorOf = (res: { body: any }) => res.body.errors?.[0]?.extensions;

  it('an admin of default creates, lists and updates tenants; each limit shows its value, override, tier default and usage', async () => {
    const t = await start('manage.sqlite');
    const platform = await t.key('default', ['admin'], 'platform-ops');
    const created = data(
      await t.gql(
        platform,
        `mutation { createTenant(id: "acme", name: "Acme", tier: FREE) { ${TENANT_FIELDS} } }`,
      ),
    ).createTenant;
    expect(created).toMatchObject({
      id: 'acme',
      name: 'Acme',
      tier: 'FREE',
      status: 'ACTIVE',
      suspendedAt: null,
      dataRegion: null,
      features: ['LLM_AGENTS', 'HUMAN_TASKS'],
    });
    expect(created.limits.map((l: Limit) => l.name)).toEqual([
      'CONCURRENT_RUNS',
      'RUNS_PER_DAY',
      'SEGMENTS',
      'WAITING_INTERACTIONS',
      'ACTION_CALLS_PER_MINUTE',
      'LLM_TOKENS_PER_MONTH',
      'SNAPSHOT_RETENTION_DAYS',
      'API_KEYS',
    ]);
    expect(limitOf(created, 'SEGMENTS')).toEqual({
      name: 'SEGMENTS',
      limit: 5,
      used: 0,
      remaining: 5,
      override: null,
      tierDefault: 5,
    });
    // The rate counts the calls of the last minute; a retention is a limit, not counted.
    expect(limitOf(created, 'ACTION_CALLS_PER_MINUTE')).toMatchObject({
      limit: 60,
      used: 0,
      remaining: 60,
    });
    expect(limitOf(created, 'SNAPSHOT_RETENTION_DAYS')).toMatchObject({
      limit: 7,
      used: null,
      remaining: null,
    });

    const operator = await t.key('acme', ['operator']);
    data(await t.gql(operator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: ASK }));
    data(await t.gql(operator, 'mutation { startRun(segmentId: "ask") { id } }'));
    await t.engine.waitForRun((await t.engine.forTenant('acme').listRuns()).items[0]!.runId, {
      tenantId: 'acme',
      until: ['waiting_human'],
    });

    const updated = data(
      await t.gql(
        platform,
        `mutation { updateTenant(id: "acme", tier: STARTER, dataRegion: "eu-west-1",
           limits: [{ name: SEGMENTS, value: 1 }, { name: RUNS_PER_DAY, value: 500 }]) { ${TENANT_FIELDS} } }`,
      ),
    ).updateTenant;
    expect(updated).toMatchObject({ tier: 'STARTER', dataRegion: 'eu-west-1', name: 'Acme' });
    expect(updated.features).toEqual(['LLM_AGENTS', 'HUMAN_TASKS', 'ACTIONS', 'SEALED_FIELDS']);
    expect(limitOf(updated, 'SEGMENTS')).toEqual({
      name: 'SEGMENTS',
      limit: 1,
      used: 1,
      remaining: 0,
      override: 1,
      tierDefault: 25,
    });
    expect(limitOf(updated, 'RUNS_PER_DAY')).toMatchObject({ limit: 500, used: 1, override: 500 });
    expect(limitOf(updated, 'WAITING_INTERACTIONS')).toMatchObject({ limit: 200, used: 1, override: null });
    expect(limitOf(updated, 'CONCURRENT_RUNS')).toMatchObject({ limit: 10, used: 0 });
    expect(limitOf(updated, 'API_KEYS')).toMatchObject({ limit: 10, used: 1 });

    // The override is enforced, and the refusal names the limit.
    const refused = await t.gql(operator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', {
      d: NOTE,
    });
    expect(errorOf(refused)).toEqual({ code: 'FORBIDDEN', llmteamCode: 'LLMT_E_LIMIT_EXCEEDED' });
    expect(refused.body.errors[0].message).toMatch(/limit segments = 1 .*tier starter/);

    // Only the limits given change; null returns one to the tier's default.
    const reset = data(
      await t.gql(
        platform,
        'mutation { updateTenant(id: "acme", limits: [{ name: SEGMENTS, value: null }]) { limits { name limit override } } }',
      ),
    ).updateTenant;
    expect(limitOf(reset, 'SEGMENTS')).toEqual({ name: 'SEGMENTS', limit: 25, override: null });
    expect(limitOf(reset, 'RUNS_PER_DAY')).toEqual({ name: 'RUNS_PER_DAY', limit: 500, override: 500 });
    data(await t.gql(operator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: NOTE }));

    const listed = data(await t.gql(platform, '{ tenants { id tier status dataRegion } }')).tenants;
    expect(listed).toEqual([
      { id: 'acme', tier: 'STARTER', status: 'ACTIVE', dataRegion: 'eu-west-1' },
      { id: 'default', tier: 'ENTERPRISE', status: 'ACTIVE', dataRegion: null },
    ]);
    expect(data(await t.gql(platform, '{ tenant(id: "nope") { id } }')).tenant).toBeNull();

    const audit = (await t.engine.forTenant('acme').listAudit()).filter((a) =>
      a.action.startsWith('tenant.'),
    );
    expect(audit.map((a) => [a.action, a.actor, a.data])).toEqual([
      ['tenant.created', 'platform-ops', { name: 'Acme', tier: 'free', limits: {} }],
      [
        'tenant.updated',
        'platform-ops',
        {
          name: 'Acme',
          tier: 'starter',
          limits: { segments: 1, runs_per_day: 500 },
          dataRegion: 'eu-west-1',
          changed: ['tier', 'limits', 'dataRegion'],
        },
      ],
      [
        'tenant.updated',
        'platform-ops',
        {
          name: 'Acme',
          tier: 'starter',
          limits: { runs_per_day: 500 },
          dataRegion: 'eu-west-1',
          changed: ['limits'],
        },
      ],
    ]);

    const again = await t.gql(platform, 'mutation { createTenant(id: "acme", name: "Twice") { id } }');
    expect(errorOf(again)).toEqual({ code: 'CONFLICT', llmteamCode: 'LLMT_E_TENANT_EXISTS' });
    const missing = await t.gql(platform, 'mutation { updateTenant(id: "nope", name: "X") { id } }');
    expect(errorOf(missing)).toEqual({ code: 'NOT_FOUND', llmteamCode: 'LLMT_E_TENANT_NOT_FOUND' });
    const nothing = await t.gql(platform, 'mutation { updateTenant(id: "acme") { id } }');
    expect(errorOf(nothing)).toEqual({ code: 'BAD_USER_INPUT', llmteamCode: 'LLMT_E_INVALID_ARGUMENT' });
    expect(nothing.body.errors[0].message).toMatch(/give name, tier, limits or dataRegion/);
    const badId = await t.gql(platform, 'mutation { createTenant(id: "Not Valid", name: "X") { id } }');
    expect(errorOf(badId)).toMatchObject({ code: 'BAD_USER_INPUT' });
    const badLimit = await t.gql(
      platform,
      'mutation { updateTenant(id: "acme", limits: [{ name: SEGMENTS, value: -1 }]) { id } }',
    );
    expect(badLimit.body.errors[0].message).toMatch(/limits.segments must be a whole number of 0 or more/);
  });

  it("a tenant's admin reads its own tenant with usage but manages none; other roles read nothing", async () => {
    const t = await start('own.sqlite');
    const platform = await t.key('default', ['admin']);
    data(await t.gql(platform, 'mutation { createTenant(id: "acme", name: "Acme") { id } }'));
    const acmeAdmin = await t.key('acme', ['admin']);
    const own = data(await t.gql(acmeAdmin, '{ tenant { id tier limits { name used } } }')).tenant;
    expect(own).toMatchObject({ id: 'acme', tier: 'STARTER' });
    expect(limitOf(own, 'API_KEYS')?.used).toBe(1);
    expect(data(await t.gql(acmeAdmin, '{ tenant(id: "acme") { id } }')).tenant.id).toBe('acme');
    for (const operation of [
      '{ tenant(id: "default") { id } }',
      '{ tenants { id } }',
      'mutation { createTenant(id: "other", name: "Other") { id } }',
      'mutation { updateTenant(id: "acme", tier: ENTERPRISE) { id } }',
      'mutation { suspendTenant(id: "acme") { id } }',
      'mutation { resumeTenant(id: "acme") { id } }',
      'mutation { deleteTenant(id: "acme") { id } }',
    ]) {
      const res = await t.gql(acmeAdmin, operation);
      expect(errorOf(res), operation).toEqual({ code: 'FORBIDDEN', llmteamCode: 'LLMT_E_GW_FORBIDDEN' });
    }
    const viewer = await t.key('acme', ['viewer']);
    expect(errorOf(await t.gql(viewer, '{ tenant { id } }'))).toMatchObject({ code: 'FORBIDDEN' });
    expect((await t.gql(undefined, '{ tenant { id } }')).status).toBe(401);
    expect(data(await t.gql(platform, '{ tenant { id name } }')).tenant).toEqual({
      id: 'default',
      name: 'default',
    });
  });

  it('suspendTenant closes the tenant’s live graphql-ws sessions with 4403 within 5 s and HTTP refuses its keys until resumeTenant', async () => {
    const t = await start('suspend.sqlite');
    const platform = await t.key('default', ['admin'], 'platform-ops');
    data(await t.gql(platform, 'mutation { createTenant(id: "acme", name: "Acme") { id } }'));
    data(await t.gql(platform, 'mutation { createTenant(id: "beta", name: "Beta") { id } }'));
    const acmeViewer = await t.key('acme', ['viewer']);
    const betaViewer = await t.key('beta', ['viewer']);
    const before = t.listeners();
    const acme = follow(t.gateway.wsUrl, acmeViewer);
    const beta = follow(t.gateway.wsUrl, betaViewer);
    clients.push(acme.client, beta.client);
    await t.listening(before, 2);

    const suspendedAt = Date.now();
    const suspended = data(
      await t.gql(
        platform,
        'mutation { suspendTenant(id: "acme", reason: "invoice overdue") { status suspendedAt suspensionReason } }',
      ),
    ).suspendTenant;
    expect(suspended).toMatchObject({ status: 'SUSPENDED', suspensionReason: 'invoice overdue' });
    expect(suspended.suspendedAt).toEqual(expect.any(String));
    const closed = await acme.closed;
    expect(closed.code).toBe(4403);
    expect(closed.at - suspendedAt).toBeLessThan(5000);
    expect((await t.gql(acmeViewer, '{ segments { id } }')).status).toBe(401);

    // Another tenant's session stays open and keeps receiving its own events.
    const betaOperator = await t.key('beta', ['operator']);
    data(
      await t.gql(betaOperator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: NOTE }),
    );
    data(await t.gql(betaOperator, 'mutation { startRun(segmentId: "note") { id } }'));
    await expect.poll(() => beta.received.length, { timeout: 10_000 }).toBeGreaterThan(0);

    const refusedSocket = follow(t.gateway.wsUrl, acmeViewer);
    clients.push(refusedSocket.client);
    expect((await refusedSocket.closed).code).toBe(4403);
    const self = await t.gql(platform, 'mutation { suspendTenant(id: "default") { id } }');
    expect(errorOf(self)).toEqual({ code: 'BAD_USER_INPUT', llmteamCode: 'LLMT_E_INVALID_ARGUMENT' });

    const resumed = data(
      await t.gql(platform, 'mutation { resumeTenant(id: "acme") { status suspendedAt suspensionReason } }'),
    ).resumeTenant;
    expect(resumed).toEqual({ status: 'ACTIVE', suspendedAt: null, suspensionReason: null });
    expect((await t.gql(acmeViewer, '{ segments { id } }')).status).toBe(200);
    const audit = (await t.engine.forTenant('acme').listAudit()).filter((a) =>
      a.action.startsWith('tenant.'),
    );
    expect(audit.map((a) => [a.action, a.actor, a.data])).toEqual([
      ['tenant.created', 'platform-ops', { name: 'Acme', tier: 'starter', limits: {} }],
      ['tenant.suspended', 'platform-ops', { name: 'Acme', tier: 'starter', reason: 'invoice overdue' }],
      ['tenant.resumed', 'platform-ops', { name: 'Acme', tier: 'starter' }],
    ]);
  });

  it('deleteTenant erases its runs, revokes its keys and closes its sessions; the id can be created again and the chain still verifies', async () => {
    const t = await start('delete.sqlite');
    const platform = await t.key('default', ['admin'], 'platform-ops');
    data(await t.gql(platform, 'mutation { createTenant(id: "gone", name: "Gone") { id } }'));
    const operator = await t.key('gone', ['operator']);
    data(await t.gql(operator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: ASK }));
    for (let i = 0; i < 2; i++) data(await t.gql(operator, 'mutation { startRun(segmentId: "ask") { id } }'));
    const before = t.listeners();
    const live = follow(t.gateway.wsUrl, operator);
    clients.push(live.client);
    await t.listening(before);

    const startedAt = Date.now();
    const removed = data(
      await t.gql(
        platform,
        'mutation { deleteTenant(id: "gone", reason: "contract ended") { id runsErased keysRevoked deletedAt } }',
      ),
    ).deleteTenant;
    expect(removed).toMatchObject({ id: 'gone', runsErased: 2, keysRevoked: 1 });
    const closed = await live.closed;
    expect(closed.code).toBe(4403);
    expect(closed.at - startedAt).toBeLessThan(5000);
    expect((await t.gql(operator, '{ runs { edges { node { id } } } }')).status).toBe(401);
    expect(data(await t.gql(platform, '{ tenant(id: "gone") { id } }')).tenant).toBeNull();
    expect(data(await t.gql(platform, '{ tenants { id } }')).tenants).toEqual([{ id: 'default' }]);
    expect((await t.engine.forTenant('gone').listRuns()).items).toEqual([]);
    const again = await t.gql(platform, 'mutation { deleteTenant(id: "gone") { id } }');
    expect(errorOf(again)).toEqual({ code: 'NOT_FOUND', llmteamCode: 'LLMT_E_TENANT_NOT_FOUND' });

    data(await t.gql(platform, 'mutation { createTenant(id: "gone", name: "Gone again") { id } }'));
    const newAdmin = await t.key('gone', ['admin']);
    expect(data(await t.gql(newAdmin, '{ runs { edges { node { id } } } }')).runs.edges).toEqual([]);
    expect(data(await t.gql(newAdmin, '{ verifyAuditChain { valid } }')).verifyAuditChain.valid).toBe(true);
    const actions = data(await t.gql(newAdmin, '{ auditEvents { action actor } }')).auditEvents.filter(
      (a: { action: string }) => a.action.startsWith('tenant.'),
    );
    expect(actions).toEqual([
      { action: 'tenant.created', actor: 'platform-ops' },
      { action: 'tenant.deleted', actor: 'platform-ops' },
      { action: 'tenant.created', actor: 'platform-ops' },
    ]);
  });
});
