import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, MemoryStore, type SegmentDefinition } from '../../index.js';

interface Seen {
  path: string;
  key: string | undefined;
  body: string;
}

function serve(
  handler: (
    req: IncomingMessage,
    body: string,
  ) => { status: number; headers?: Record<string, string>; body?: string },
) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ path: req.url ?? '', key: req.headers['idempotency-key'] as string | undefined, body });
      const out = handler(req, body);
      res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
      res.end(out.body ?? '');
    });
  });
  return { server, seen };
}

describe('http_action', () => {
  const target = serve((req) =>
    req.url === '/bounce'
      ? { status: 302, headers: { location: `http://localhost:${otherPort}/steal` } }
      : { status: 200, body: JSON.stringify({ ok: true }) },
  );
  const other = serve(() => ({ status: 200, body: '{}' }));
  let host = '';
  let otherPort = 0;

  beforeAll(async () => {
    await new Promise<void>((r) => target.server.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => other.server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(target.server.address() as AddressInfo).port}`;
    otherPort = (other.server.address() as AddressInfo).port;
  });
  afterAll(() => {
    target.server.close();
    other.server.close();
  });

  const segment = (path: string): SegmentDefinition => ({
    segment_id: `http${path.replace(/\W/g, '_')}`,
    steps: [
      {
        step_id: 'call',
        step_type: 'http_action',
        config: { url: `http://${host}${path}` },
        retry: { max_attempts: 3, backoff: 0 },
      },
    ],
  });

  test('reaches only granted hosts, and a refusal is not retried', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const run = await engine.startRun({ segment: segment('/orders'), input: { sku: 'A' } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('LLMT_E_HOST_NOT_ALLOWED');
    const events = await engine.store.listEvents('default', run.runId);
    expect(events.filter((e) => e.type === 'step.retrying')).toHaveLength(0);
    expect(target.seen.filter((s) => s.path === '/orders')).toHaveLength(0);
  });

  test('sends the step input with its idempotency key to a granted host', async () => {
    const engine = createEngine({
      store: new MemoryStore(),
      permissions: { http_action: { hosts: [host] } },
    });
    const run = await engine.startRun({ segment: segment('/orders'), input: { sku: 'A' } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ call: { ok: true } });
    const call = target.seen.find((s) => s.path === '/orders')!;
    expect(call.key).toBe(`${run.runId}:call:1`);
    expect(JSON.parse(call.body)).toEqual({ sku: 'A' });
  });

  test('a redirect to a host that is not granted is refused', async () => {
    const engine = createEngine({
      store: new MemoryStore(),
      permissions: { http_action: { hosts: [host] } },
    });
    const run = await engine.startRun({ segment: segment('/bounce'), input: {} });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.error?.code).toBe('LLMT_E_HOST_NOT_ALLOWED');
    expect(other.seen).toHaveLength(0);
  });
});
