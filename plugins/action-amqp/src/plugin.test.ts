import { readFileSync } from 'node:fs';
import { createEngine, isPlugin, MemoryStore } from '@llmteam/core';
import { expect, test } from 'vitest';
import amqpActions from './index.js';
import { amqpReachable, TEST_AMQP_URL } from './test-broker.js';

const up = await amqpReachable();

test('the default export is a plugin named like its package', () => {
  expect(isPlugin(amqpActions)).toBe(true);
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect([amqpActions.name, amqpActions.version]).toEqual([pkg.name, pkg.version]);
});

test.skipIf(!up)('the README example runs as written', async () => {
  const engine = createEngine({
    store: new MemoryStore(),
    plugins: [{ plugin: amqpActions, options: { url: TEST_AMQP_URL } }],
    actions: {
      order_created: {
        type: 'message_queue',
        broker: 'amqp',
        exchange: 'amq.topic',
        routing_key: 'orders.created',
      },
    },
  });
  await engine.start();
  const result = await engine.actions.execute(
    'order_created',
    { sku: 'A', qty: 2 },
    { tenantId: 'default', idempotencyKey: 'k1' },
  );
  expect(result.data).toEqual({ published: true, message_id: 'k1' });
  await engine.stop();
});
