import { readFileSync } from 'node:fs';
import { createEngine, isPlugin, MemoryStore } from '@llmteam/core';
import { expect, test } from 'vitest';
import natsActions from './index.js';
import { natsReachable, TEST_NATS_URL } from './test-server.js';

const up = await natsReachable();

test('the default export is a plugin named like its package', () => {
  expect(isPlugin(natsActions)).toBe(true);
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect([natsActions.name, natsActions.version]).toEqual([pkg.name, pkg.version]);
});

test.skipIf(!up)('the README example runs as written', async () => {
  const engine = createEngine({
    store: new MemoryStore(),
    plugins: [{ plugin: natsActions, options: { servers: TEST_NATS_URL } }],
    actions: {
      notify: { type: 'message_queue', broker: 'nats', subject: 'llmteam.readme.notify', jetstream: false },
    },
  });
  await engine.start();
  const result = await engine.actions.execute(
    'notify',
    { hello: 'world' },
    { tenantId: 'default', idempotencyKey: 'k1' },
  );
  expect(result.data).toEqual({ published: true });
  await engine.stop();
});
