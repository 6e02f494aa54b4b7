import {
  createEngine,
  type Engine,
  formatTraceparent,
  MemoryStore,
  type SegmentDefinition,
  stepSpanId,
} from '@llmteam/core';
import { startTcpProxy, type TcpProxy } from '@llmteam/testkit';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import plugin from './index.js';
import { amqpReachable, TEST_AMQP_URL } from './test-broker.js';

const up = await amqpReachable();
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 200 });
});

describe.skipIf(!up)('AMQP actions against RabbitMQ', () => {
  const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
  const queue = `llmt_orders_${suffix}`;
  const rpc = `llmt_rpc_${suffix}`;
  let model: ChannelModel;
  let channel: Channel;
  let proxy: TcpProxy;
  const received: ConsumeMessage[] = [];

  beforeAll(async () => {
    model = await amqp.connect(TEST_AMQP_URL);
    channel = await model.createChannel();
    await channel.assertQueue(queue, { autoDelete: true });
    await channel.assertQueue(rpc, { autoDelete: true });
    await channel.consume(queue, (m) => m && received.push(m), { noAck: true });
    await channel.consume(
      rpc,
      (m) => {
        if (!m) return;
        const order = JSON.parse(m.content.toString());
        channel.sendToQueue(m.properties.replyTo, Buffer.from(JSON.stringify({ price: order.qty * 10 })), {
          correlationId: m.properties.correlationId,
        });
      },
      { noAck: true },
    );
    const target = new URL(TEST_AMQP_URL);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5672) });
  });
  afterAll(async () => {
    await proxy?.close();
    await model?.close();
  });

  async function boot(url = TEST_AMQP_URL) {
    const engine = createEngine({
      store: new MemoryStore(),
      pollIntervalMs: 20,
      secrets: { get: async (name) => (name === 'amqp_url' ? url : undefined) },
      plugins: [{ plugin, options: { url_secret: 'amqp_url' } }],
      actions: {
        order_created: { type: 'message_queue', broker: 'amqp', routing_key: queue },
        price: { type: 'message_queue', broker: 'amqp', routing_key: rpc, mode: 'request', timeout: 'PT5S' },
        nobody: {
          type: 'message_queue',
          broker: 'amqp',
          routing_key: `llmt_nobody_${suffix}`,
          mode: 'request',
          timeout: 0.3,
        },
      },
    });
    engines.push(engine);
    await engine.start();
    return engine;
  }

  const step = (action: string, retry = false): SegmentDefinition => ({
    segment_id: `amqp_${action}`,
    steps: [
      {
        step_id: 'send',
        step_type: 'action',
        config: { action },
        ...(retry ? { retry: { max_attempts: 30, backoff: 0.1, max_backoff: 0.2 } } : {}),
      },
    ],
  });

  test('publishes with a broker confirm; the message id is the idempotency key', async () => {
    const engine = await boot();
    const run = await engine.startRun({ segment: step('order_created'), input: { sku: 'A', qty: 2 } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ send: { published: true, message_id: `${run.runId}:send:1` } });
    await vi.waitFor(() => expect(received.length).toBeGreaterThan(0), { timeout: 10_000 });
    const message = received.at(-1)!;
    expect(JSON.parse(message.content.toString())).toEqual({ sku: 'A', qty: 2 });
    expect(message.properties.messageId).toBe(`${run.runId}:send:1`);
    expect(message.properties.correlationId).toBe(run.runId);
    expect(message.properties.headers?.['x-tenant-id']).toBe('default');
    expect(message.properties.deliveryMode).toBe(2);
  });

  test('a message carries the W3C traceparent of the run that sent it', async () => {
    const engine = await boot();
    const caller = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const run = await engine.startRun({
      segment: step('order_created'),
      input: { sku: 'T' },
      traceparent: caller,
    });
    expect((await engine.waitForRun(run.runId, { until: ['completed', 'failed'] })).status).toBe('completed');
    await vi.waitFor(() =>
      expect(received.some((m) => m.properties.messageId === `${run.runId}:send:1`)).toBe(true),
    );
    const message = received.find((m) => m.properties.messageId === `${run.runId}:send:1`)!;
    // Without an SDK the call's context is its step's: the run's trace, the step attempt's span.
    expect(message.properties.headers?.traceparent).toBe(
      formatTraceparent(run.trace!.traceId, stepSpanId(run.trace!, 'send', 1)),
    );
    expect(run.trace!.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  test('request/reply returns the reply matched by correlation id, also under concurrency', async () => {
    const engine = await boot();
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((qty) =>
        engine.actions.execute('price', { qty }, { tenantId: 'default', idempotencyKey: `rpc-${qty}` }),
      ),
    );
    expect(results.map((r) => r.data)).toEqual([10, 20, 30, 40, 50].map((price) => ({ price })));
  });

  test('a request nobody answers times out with LLMT_E_ACTION_TIMEOUT', async () => {
    const engine = await boot();
    const error = await engine.actions
      .execute('nobody', {}, { tenantId: 'default', idempotencyKey: 'none' })
      .catch((e) => e);
    expect(error.code).toBe('LLMT_E_ACTION_TIMEOUT');
    expect(error.details.result.status).toBe('timeout');
  });

  test('the broker going away mid-run is a retryable typed error; the run resumes when it is back', async () => {
    const engine = await boot(`amqp://guest:guest@127.0.0.1:${proxy.port}`);
    const call = { tenantId: 'default', idempotencyKey: 'warm' };
    expect((await engine.actions.execute('order_created', { warm: true }, call)).status).toBe('completed');
    await proxy.stop();
    const run = await engine.startRun({ segment: step('order_created', true), input: { sku: 'B' } });
    await vi.waitFor(
      async () => {
        const events = await engine.store.listEvents('default', run.runId);
        expect(events.find((e) => e.type === 'action.failed')?.data.error_type).toBe(
          'LLMT_E_ACTION_UNAVAILABLE',
        );
      },
      { timeout: 10_000 },
    );
    await proxy.start();
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 20_000 });
    expect(done.status).toBe('completed');
    await vi.waitFor(
      () => expect(received.some((m) => JSON.parse(m.content.toString()).sku === 'B')).toBe(true),
      { timeout: 10_000 },
    );
  });

  test('a config without routing_key is refused naming the field', async () => {
    await expect(
      (async () => {
        const engine = createEngine({
          store: new MemoryStore(),
          plugins: [plugin],
          actions: { bad: { type: 'message_queue', broker: 'amqp' } },
        });
        engines.push(engine);
        await engine.start();
      })(),
    ).rejects.toMatchObject({
      code: 'LLMT_E_ACTION_CONFIG',
      message: expect.stringContaining('routing_key'),
    });
  });
});
