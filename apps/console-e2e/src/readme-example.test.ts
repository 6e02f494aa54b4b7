import { readFileSync } from 'node:fs';
import { createEngine, MemoryStore } from '@llmteam/core';
import { createGateway } from '@llmteam/gateway';
import { expect, test } from 'vitest';

test('the console README example serves the app on a console route', async () => {
  const readme = readFileSync(new URL('../../console/README.md', import.meta.url), 'utf8');
  expect(readme).toContain('/runs`); // any console route answers with the app');
  const gateway = await createGateway({ engine: createEngine({ store: new MemoryStore() }), port: 0 });
  const origin = gateway.url.replace(/\/graphql$/, '');
  const page = await fetch(`${origin}/runs`);
  expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
  expect(await page.text()).toContain('<div id="root"></div>');
  await gateway.stop();
});

test('a browser opening /graphql gets the console; API requests still reach GraphQL', async () => {
  const gateway = await createGateway({
    engine: createEngine({ store: new MemoryStore() }),
    port: 0,
    host: '127.0.0.1',
  });
  const html = await fetch(gateway.url, { headers: { accept: 'text/html,application/xhtml+xml' } });
  expect(html.status).toBe(200);
  expect(html.headers.get('content-security-policy')).toContain("script-src 'self'");
  const api = await fetch(`${gateway.url}?query=${encodeURIComponent('{ health { status } }')}`, {
    headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
  });
  expect((await api.json()).data.health.status).toBe('ok');
  const asset = await fetch(gateway.url.replace('/graphql', '/assets/missing.js'));
  expect(asset.status).toBe(404);
  await gateway.stop();
});
