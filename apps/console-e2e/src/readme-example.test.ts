import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consoleAssetsDir } from '@llmteam/console';
import { createEngine, MemoryStore } from '@llmteam/core';
import { createGateway } from '@llmteam/gateway';
import { readmeExamplesSuite } from '@llmteam/testkit';
import { describe, expect, test } from 'vitest';

// The console's README example imports core and the gateway, which this package depends on.
readmeExamplesSuite({
  readme: new URL('../../console/README.md', import.meta.url),
  conditions: ['llmteam-source'],
  run: { resolveFrom: fileURLToPath(new URL('..', import.meta.url)) },
  test,
  expect,
  describe,
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
  // curl's default Accept (*/*) is an API client too: GraphQL's JSON answer, not the page.
  const curl = await fetch(gateway.url, { headers: { accept: '*/*' } });
  expect(curl.headers.get('content-type')).toMatch(/^application\/json/);
  const asset = await fetch(gateway.url.replace('/graphql', '/assets/missing.js'));
  expect(asset.status).toBe(404);
  await gateway.stop();
});

test('GraphiQL is a chunk of its own: what the first page loads does not carry it', () => {
  const index = readFileSync(join(consoleAssetsDir, 'index.html'), 'utf8');
  // The entry script and the chunks it preloads.
  const first = [...index.matchAll(/"\/assets\/([^"]+\.js)"/g)].map((m) => m[1] as string);
  expect(first.length).toBeGreaterThan(0);
  const read = (f: string) => readFileSync(join(consoleAssetsDir, 'assets', f), 'utf8');
  const withGraphiql = readdirSync(join(consoleAssetsDir, 'assets')).filter(
    (f) => f.endsWith('.js') && read(f).includes('graphiql-container'),
  );
  expect(withGraphiql.length).toBeGreaterThan(0);
  for (const f of first) {
    expect(withGraphiql).not.toContain(f);
    expect(read(f)).not.toContain('CodeMirror');
  }
});
