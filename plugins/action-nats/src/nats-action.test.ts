import {
  createEngine,
  type Engine,
  formatTraceparent,
  MemoryStore,
  type SegmentDefinition,
  stepSpanId,
} from '@llmteam/core';
import { startTcpProxy, type TcpProxy } from '@llmteam/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import plugin from './index.js';
import { natsReachable, TEST_NATS_URL } from './test-server.js';

const up = await natsReachable();
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 200 });
});

describe.skipIf(!up)('NATS actions against a JetStream server', () => {
  const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
  const stream = `LLMT_${suffix}`;
  const subject = `llmt.orders.${suffix}`;
  const rpc = `llmt.rpc.${suffix}`;
  const traced = `llmt.traced.${suffix}`;
  let nc: NatsConnection;
  let proxy: TcpProxy;

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [subject], duplicate_window: 120_000_000_000 });
    nc.subscribe(rpc, {
      callback: (_err, msg) => {
        const order = msg.json<{ qty: number }>();
        msg.respond(JSON.stringify({ price: order.qty * 10, tenant: msg.headers?.get('X-Tenant-ID') }));
      },
    });
    nc.subscribe(traced, {
      callback: (_err, msg) => {
        msg.respond(JSON.stringify({ traceparent: msg.headers?.get('traceparent') }));
      },
    });
    await nc.flush();
    const target = new URL(TEST_NATS_URL);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 4222) });
  });
  afterAll(async () => {
    await proxy?.close();
    if (nc) {
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
  });

  async function boot(servers = TEST_NATS_URL) {
    const engine = createEngine({
      store: new MemoryStore(),
      pollIntervalMs: 20,
      plugins: [{ plugin, options: { servers } }],
      actions: {
        order_created: { type: 'message_queue', broker: 'nats', subject },
        price: { type: 'message_queue', broker: 'nats', subject: rpc, mode: 'request', timeout: 'PT5S' },
        traced: { type: 'message_queue', broker: 'nats', subject: traced, mode: 'request', timeout: 'PT5S' },
        silent: {
          type: 'message_queue',
          broker: 'nats',
          subject: `llmt.none.${suffix}`,
          mode: 'request',
          timeout: 0.3,
        },
      },
    });
    engines.push(engine);
    await engine.start();
    return engine;
  }

  test('publishes to JetStream with the idempotency key as message id: a re-send is a duplicate', async () => {
    const engine = await boot();
    const run = await engine.startRun({
      segment: {
        segment_id: 'nats_pub',
        steps: [{ step_id: 'send', step_type: 'action', config: { action: 'order_created' } }],
      },
      input: { sku: 'A' },
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs?.send).toMatchObject({ published: true, stream, duplicate: false });
    // The crashed-and-retried call sends the same key: the stream keeps one message.
    const again = await engine.actions.execute(
      'order_created',
      { sku: 'A' },
      { tenantId: 'default', idempotencyKey: `${run.runId}:send:1` },
    );
    expect(again.data).toMatchObject({ duplicate: true });
    expect(again.response_code).toBe('duplicate');
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    expect(info.state.messages).toBe(1);
  });

  test('a request carries the W3C traceparent of the run that sent it', async () => {
    const engine = await boot();
    const run = await engine.startRun({
      segment: {
        segment_id: 'nats_traced',
        steps: [{ step_id: 'ask', step_type: 'action', config: { action: 'traced' } }],
      },
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(run.trace!.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    // Without an SDK the call's context is its step's: the run's trace, the step attempt's span.
    expect(done.outputs?.ask).toEqual({
      traceparent: formatTraceparent(run.trace!.traceId, stepSpanId(run.trace!, 'ask', 1)),
    });
  });

  test('request/reply returns the reply, with the tenant header sent', async () => {
    const engine = await boot();
    const results = await Promise.all(
      [1, 2, 3].map((qty) =>
        engine.actions.execute('price', { qty }, { tenantId: 'acme', idempotencyKey: `q${qty}` }),
      ),
    );
    expect(results.map((r) => r.data)).toEqual([1, 2, 3].map((q) => ({ price: q * 10, tenant: 'acme' })));
  });

  test('a request nobody answers is a typed error', async () => {
    const engine = await boot();
    const error = await engine.actions
      .execute('silent', {}, { tenantId: 'default', idempotencyKey: 's' })
      .catch((e) => e);
    expect(['LLMT_E_ACTION_FAILED', 'LLMT_E_ACTION_TIMEOUT']).toContain(error.code);
    expect(error.details.action).toBe('silent');
  });

  test('the server going away mid-run is a retryable typed error; the run resumes when it is back', async () => {
    const engine = await boot(`nats://127.0.0.1:${proxy.port}`);
    expect(
      (await engine.actions.execute('price', { qty: 1 }, { tenantId: 'default', idempotencyKey: 'w' }))
        .status,
    ).toBe('completed');
    await proxy.stop();
    const segment: SegmentDefinition = {
      segment_id: 'nats_down',
      steps: [
        {
          step_id: 'ask',
          step_type: 'action',
          config: { action: 'price' },
          retry: { max_attempts: 30, backoff: 0.1, max_backoff: 0.2 },
        },
      ],
    };
    const run = await engine.startRun({ segment, input: { qty: 4 } });
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
    expect(done.outputs).toEqual({ ask: { price: 40, tenant: 'default' } });
  });
});
