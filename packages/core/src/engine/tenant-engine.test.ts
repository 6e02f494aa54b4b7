import { describe, expect, test } from 'vitest';
import { createEngine, definePlugin, MemoryStore } from '../index.js';

const SEGMENT = {
  segment_id: 'pass',
  version: '1.0.0',
  steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$' } }],
};

async function twoTenants() {
  const store = new MemoryStore();
  const engine = createEngine({ store, tenancy: { implicitTenants: true } });
  await engine.start();
  const acme = engine.forTenant('acme', { subject: 'ann' });
  const other = engine.forTenant('other', { subject: 'olaf' });
  await acme.upsertSegment(SEGMENT);
  const run = await acme.startRun({ segmentId: 'pass', input: { a: 1 } });
  await engine.waitForRun(run.runId, { tenantId: 'acme' });
  return { store, engine, acme, other, run };
}

describe('engine.forTenant', () => {
  test("reads a tenant's own runs and refuses another tenant's run as not found", async () => {
    const { engine, acme, other, run } = await twoTenants();
    expect((await acme.getRun(run.runId))?.run.status).toBe('completed');
    expect((await acme.listEvents(run.runId)).length).toBeGreaterThan(0);
    expect(await other.getRun(run.runId)).toBeUndefined();
    expect((await other.listRuns()).items).toEqual([]);
    for (const call of [
      () => other.listEvents(run.runId),
      () => other.getSteps(run.runId),
      () => other.cancelRun(run.runId),
      () => other.createSnapshot(run.runId),
      () => other.events(run.runId),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'LLMT_E_RUN_NOT_FOUND' });
    }
    await expect(other.respond('nope', { action: 'approve' })).rejects.toMatchObject({
      code: 'LLMT_E_INTERACTION_NOT_FOUND',
    });
    const snapshot = await acme.createSnapshot(run.runId);
    await expect(other.forkRun(snapshot.snapshotId)).rejects.toMatchObject({
      code: 'LLMT_E_SNAPSHOT_NOT_FOUND',
    });
    await engine.stop();
  });

  test("queries and analyses its own tenant's events and runs only", async () => {
    const { engine, acme, other, run } = await twoTenants();
    const mine = await acme.queryEvents({ types: ['run.completed'] });
    expect(mine.items.map((e) => [e.run_id, e.type])).toEqual([[run.runId, 'run.completed']]);
    expect((await other.queryEvents()).items).toEqual([]);
    expect((await acme.processMetrics({ segmentId: 'pass' })).runs).toBe(1);
    expect((await other.processMetrics({ segmentId: 'pass' })).runs).toBe(0);
    expect((await acme.processMap({ segmentId: 'pass' })).nodes.map((n) => n.activity)).toContain('t');
    await engine.stop();
  });

  test('revokes a key of its own tenant only, keeping the first revocation time', async () => {
    const { engine, acme, other } = await twoTenants();
    const key = {
      keyId: 'key_1',
      tenantId: 'acme',
      secretHash: 'h',
      roles: ['viewer' as const],
      subject: 's',
      groups: [],
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    await expect(other.putApiKey(key)).rejects.toMatchObject({ code: 'LLMT_E_INVALID_ARGUMENT' });
    await acme.putApiKey(key);
    await expect(other.revokeApiKey('key_1', '2026-01-02T00:00:00.000Z')).rejects.toMatchObject({
      code: 'LLMT_E_API_KEY_NOT_FOUND',
    });
    expect((await acme.revokeApiKey('key_1', '2026-01-02T00:00:00.000Z')).revokedAt).toBe(
      '2026-01-02T00:00:00.000Z',
    );
    expect((await acme.revokeApiKey('key_1', '2026-01-03T00:00:00.000Z')).revokedAt).toBe(
      '2026-01-02T00:00:00.000Z',
    );
    expect(() => engine.forTenant('*')).toThrow(/tenant id/);
    await engine.stop();
  });

  test('delivers live events of its own tenant only', async () => {
    const store = new MemoryStore();
    const engine = createEngine({ store, tenancy: { implicitTenants: true } });
    await engine.start();
    const seen: string[] = [];
    const stop = engine.forTenant('other').onEvent((e) => seen.push(e.tenant_id));
    const acme = engine.forTenant('acme');
    await acme.upsertSegment(SEGMENT);
    const run = await acme.startRun({ segmentId: 'pass' });
    await engine.waitForRun(run.runId, { tenantId: 'acme' });
    stop();
    expect(seen).toEqual([]);
    await engine.stop();
  });
});

describe('api.registerRoute', () => {
  const route = { method: 'POST' as const, path: '/hooks/acme', handler: () => {} };
  const plugin = (name: string, r: unknown) =>
    definePlugin({
      name,
      version: '1.0.0',
      apiVersion: '^1.0.0',
      setup: (api) => api.registerRoute(r as typeof route),
    });

  test('collects routes on the engine once it started', async () => {
    const engine = createEngine({ store: new MemoryStore(), plugins: [plugin('@acme/a', route)] });
    expect(engine.routes).toEqual([]);
    await engine.start();
    expect(engine.routes.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /hooks/acme']);
    await engine.stop();
  });

  test('refuses a second owner of a path and the /graphql path, naming the plugin', async () => {
    const twice = createEngine({
      store: new MemoryStore(),
      plugins: [plugin('@acme/a', route), plugin('@acme/b', route)],
    });
    await expect(twice.start()).rejects.toThrow(/"@acme\/b" registerRoute: POST \/hooks\/acme is already/);
    const graphql = createEngine({
      store: new MemoryStore(),
      plugins: [plugin('@acme/c', { ...route, path: '/graphql' })],
    });
    await expect(graphql.start()).rejects.toMatchObject({ code: 'LLMT_E_PLUGIN_SETUP' });
  });
});
