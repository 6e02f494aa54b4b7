/**
 * RabbitMQ publish-with-confirm throughput: a `message_queue` action (`@llmteam/action-amqp`)
 * against bare `amqplib` on a confirm channel publishing the same message (body and
 * properties: message id, correlation id, content type, timestamp, tenant header), in the
 * same run, both with 50 messages in flight. Target: `ratio` (action / bare messages per
 * second) >= 0.8.
 */
import { ActionRegistry } from '@llmteam/core';

const URL_ = process.env.LLMTEAM_BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const MESSAGES = 3000;
const IN_FLIGHT = 50;

async function pump(n: number, send: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < n) await send(next++);
    }),
  );
  return (n / (performance.now() - start)) * 1000;
}

/** Runs the benchmark. */
export async function run(): Promise<Record<string, unknown>> {
  const amqp = (await import('amqplib')).default;
  const { createAmqpActionType } = await import('@llmteam/action-amqp');
  const queue = `llmteam_bench_${process.pid}`;
  const model = await amqp.connect(URL_);
  const setup = await model.createChannel();
  await setup.assertQueue(queue, { durable: false, autoDelete: false });
  const confirm = await model.createConfirmChannel();
  const registry = new ActionRegistry({ secrets: { get: async () => undefined } });
  registry.registerType(createAmqpActionType({ url: URL_ }));
  registry.define('publish', {
    type: 'message_queue',
    broker: 'amqp',
    routing_key: queue,
    persistent: false,
  });
  const input = { sku: 'A-1', qty: 2 };
  const bare = (i: number) =>
    new Promise<void>((resolve, reject) =>
      confirm.publish(
        '',
        queue,
        Buffer.from(JSON.stringify(input)),
        {
          messageId: `k${i}`,
          correlationId: `k${i}`,
          contentType: 'application/json',
          persistent: false,
          timestamp: Math.floor(Date.now() / 1000),
          headers: { 'x-tenant-id': 'default', 'x-correlation-id': `k${i}` },
        },
        (e) => (e ? reject(e) : resolve()),
      ),
    );
  const action = (i: number) =>
    registry.execute('publish', input, { tenantId: 'default', idempotencyKey: `k${i}` }, () => undefined);
  try {
    await pump(300, bare);
    await pump(300, action);
    const bareRates: number[] = [];
    const actionRates: number[] = [];
    for (let r = 0; r < 3; r++) {
      bareRates.push(await pump(MESSAGES, bare));
      actionRates.push(await pump(MESSAGES, action));
      await setup.purgeQueue(queue);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
    const b = median(bareRates);
    const a = median(actionRates);
    return {
      messages: MESSAGES * 3,
      inFlight: IN_FLIGHT,
      bareAmqplibPerSecond: Math.round(b),
      actionPerSecond: Math.round(a),
      ratio: Math.round((a / b) * 100) / 100,
      target: '>= 0.8',
    };
  } finally {
    await registry.close();
    await setup.deleteQueue(queue).catch(() => undefined);
    await model.close();
  }
}
