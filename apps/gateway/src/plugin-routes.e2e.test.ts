import { createEngine, definePlugin, MemoryStore } from '@llmteam/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { startTestGateway, type TestGateway } from './test-support.js';

describe('gateway seams', () => {
  let t: TestGateway;
  beforeAll(async () => {
    const store = new MemoryStore();
    const hello = definePlugin({
      name: '@acme/hello',
      version: '1.0.0',
      apiVersion: '^1.0.0',
      setup(api) {
        api.registerRoute({
          method: 'GET',
          path: '/hello',
          handler: async (_req, res, { engine }) => {
            const runs = await engine.forTenant('default').listRuns();
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ hello: 'world', runs: runs.items.length }));
          },
        });
        api.registerRoute({
          method: 'GET',
          path: '/broken',
          handler: () => {
            throw new Error('secret detail');
          },
        });
      },
    });
    const engine = createEngine({ store, logger: createLogger({ level: 'silent' }), plugins: [hello] });
    t = await startTestGateway({ store, engine });
  });
  afterAll(async () => t?.close());

  it('serves the HTTP routes plugins register, and hides a failing route behind a 500', async () => {
    const base = t.gateway.url.replace('/graphql', '');
    const ok = await fetch(`${base}/hello`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ hello: 'world', runs: 0 });
    const broken = await fetch(`${base}/broken`);
    expect(broken.status).toBe(500);
    expect(await broken.text()).not.toContain('secret detail');
  });

  it('answers a missing key and a bad key alike: HTTP 401, UNAUTHENTICATED, LLMT_E_GW_UNAUTHENTICATED', async () => {
    const missing = await t.gql(undefined, '{ runs { edges { node { id } } } }');
    const bad = await t.gql('llmt_not-a-key-of-this-gateway', '{ runs { edges { node { id } } } }');
    for (const res of [missing, bad]) {
      expect(res.status).toBe(401);
      expect(res.body.errors[0].extensions).toEqual({
        code: 'UNAUTHENTICATED',
        llmteamCode: 'LLMT_E_GW_UNAUTHENTICATED',
      });
    }
    expect(missing.body.errors[0].message).toBe(bad.body.errors[0].message);
    const health = await t.gql(undefined, '{ health { status } }');
    expect(health).toMatchObject({ status: 200, body: { data: { health: { status: 'ok' } } } });
  });
});
