import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { CrashingStore } from '../engine/test-helpers.js';
import {
  ActionRegistry,
  blockedReason,
  createEngine,
  type Engine,
  type EngineOptions,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
} from '../index.js';

interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local server that records requests and answers with what `reply` says. */
function localServer(reply: (seen: Seen, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const s = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      reply(s, res);
    });
  });
  return {
    seen,
    server,
    origin: '',
    port: 0,
    async start() {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      this.port = (server.address() as AddressInfo).port;
      this.origin = `http://127.0.0.1:${this.port}`;
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const secrets: Record<string, string> = {
  erp_token: 'tok-123',
  erp_user: 'ada',
  erp_password: 'pw',
  erp_key: 'key-9',
  erp_signing: 'sign-me',
};
const secretsProvider = { get: async (name: string) => secrets[name] };
const engines: Engine[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const e of engines.splice(0)) await e.stop({ graceMs: 200 });
});

async function boot(options: Partial<EngineOptions> = {}): Promise<Engine> {
  const engine = createEngine({
    store: new MemoryStore(),
    secrets: secretsProvider,
    outbound: { allow: ['127.0.0.1'] },
    ...options,
  });
  engines.push(engine);
  await engine.start();
  return engine;
}

const step = (action: string, extra: Record<string, unknown> = {}): SegmentDefinition => ({
  segment_id: `s_${action}`,
  steps: [{ step_id: 'call', step_type: 'action', config: { action }, ...extra }],
});

async function finish(engine: Engine, runId: string) {
  return engine.waitForRun(runId, { until: ['completed', 'failed'] });
}

describe('HTTP actions', () => {
  let cue: Array<number> = [];
  const api = localServer((s, res) => {
    if (s.path.startsWith('/text')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('plain words');
    } else if (s.path.startsWith('/big')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ blob: 'x'.repeat(5000) }));
    } else if (s.path.startsWith('/chunked')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 10; i++) res.write('y'.repeat(500));
      res.end();
    } else if (s.path.startsWith('/hang')) {
      // never answers
    } else if (s.path.startsWith('/cue')) {
      const status = cue.shift() ?? 200;
      json(res, status, status === 200 ? { ok: true } : { error: 'on cue' });
    } else if (s.path.startsWith('/echo-token')) {
      // A careless server quoting the credentials it was sent, across the error body's 2048-character cut.
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end(`${'.'.repeat(2036)} ${s.headers.authorization}`);
    } else if (s.path.startsWith('/invalid')) {
      json(res, 422, { error: 'sku unknown' });
    } else if (s.path.startsWith('/to-private')) {
      res.writeHead(302, { location: 'http://10.1.2.3/internal' });
      res.end();
    } else if (s.path.startsWith('/to-metadata')) {
      res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    } else if (s.path.startsWith('/to-other')) {
      res.writeHead(307, { location: `${other.origin}/landing` });
      res.end();
    } else if (s.path.startsWith('/same-origin')) {
      res.writeHead(302, { location: '/orders/after' });
      res.end();
    } else json(res, 200, { received: s.body ? JSON.parse(s.body) : null, path: s.path });
  });
  const other = localServer((s, res) => json(res, 200, { landed: true, path: s.path }));

  beforeAll(async () => {
    await api.start();
    await other.start();
  });
  afterAll(() => {
    api.server.close();
    other.server.close();
  });

  test('sends bearer, basic, api_key and HMAC auth from named secrets, with the call headers', async () => {
    const engine = await boot({
      actions: {
        bearer: {
          type: 'webhook',
          url: `${api.origin}/orders`,
          auth_type: 'bearer',
          auth_config: { token_secret: 'erp_token' },
        },
        basic: {
          type: 'webhook',
          url: `${api.origin}/orders`,
          auth_type: 'basic',
          auth_config: { username_secret: 'erp_user', password_secret: 'erp_password' },
        },
        key: {
          type: 'rest_api',
          url: `${api.origin}/orders/{id}`,
          auth_type: 'api_key',
          auth_config: { key_secret: 'erp_key', header: 'X-Erp-Key' },
        },
        signed: {
          type: 'webhook',
          url: `${api.origin}/orders`,
          auth_type: 'hmac',
          auth_config: { signing_secret: 'erp_signing' },
        },
      },
    });
    for (const name of ['bearer', 'basic', 'key', 'signed']) {
      const run = await engine.startRun({
        segment: step(name),
        input: { id: 'A 1', qty: 2 },
        tenantId: 'default',
      });
      expect((await finish(engine, run.runId)).status).toBe('completed');
      const sent = api.seen.at(-1)!;
      expect(sent.headers['idempotency-key']).toBe(`${run.runId}:call:1`);
      expect(sent.headers['x-correlation-id']).toBe(run.runId);
      expect(sent.headers['x-tenant-id']).toBe('default');
      if (name === 'bearer') expect(sent.headers.authorization).toBe('Bearer tok-123');
      if (name === 'basic')
        expect(sent.headers.authorization).toBe(`Basic ${Buffer.from('ada:pw').toString('base64')}`);
      if (name === 'key') {
        expect(sent.headers['x-erp-key']).toBe('key-9');
        expect(sent.method).toBe('GET');
        expect(sent.path).toBe('/orders/A%201?qty=2');
      }
      if (name === 'signed') {
        const ts = sent.headers['x-signature-timestamp'] as string;
        const expected = createHmac('sha256', 'sign-me').update(`${ts}.${sent.body}`).digest('hex');
        expect(sent.headers['x-signature']).toBe(`sha256=${expected}`);
        expect(JSON.parse(sent.body)).toEqual({ id: 'A 1', qty: 2 });
      }
    }
  });

  test('retries a server failing on cue on durable timers, with the same key shape, until it answers', async () => {
    const engine = await boot({ pollIntervalMs: 10 });
    engine.actions.define('flaky', { type: 'webhook', url: `${api.origin}/cue`, retry_count: 2 });
    cue = [503, 502];
    const before = api.seen.length;
    const run = await engine.startRun({
      segment: step('flaky', { retry: { max_attempts: 3, backoff: 0.01 } }),
      input: {},
    });
    const done = await finish(engine, run.runId);
    expect(done.status).toBe('completed');
    const calls = api.seen.slice(before);
    expect(calls.map((c) => c.headers['idempotency-key'])).toEqual(
      [1, 2, 3].map((a) => `${run.runId}:call:${a}`),
    );
    const events = await engine.store.listEvents('default', run.runId);
    expect(events.filter((e) => e.type === 'step.retrying')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'action.failed').map((e) => e.data.response_code)).toEqual([
      503, 502,
    ]);
    const audit = (await engine.listAudit()).filter((a) => a.action === 'action.call');
    expect(audit.map((a) => a.data?.status)).toEqual(['failed', 'failed', 'completed']);
  });

  test('the breaker opens on a failing server, fails fast without calling it, half-opens and closes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const registry = new ActionRegistry({ secrets: secretsProvider, outbound: { allow: ['127.0.0.1'] } });
    registry.define('erp', {
      type: 'webhook',
      url: `${api.origin}/cue`,
      circuit_breaker: { failure_threshold: 3, open_timeout: 'PT10S' },
    });
    const call = { tenantId: 't', idempotencyKey: 'k' };
    cue = [500, 500, 500];
    const before = api.seen.length;
    for (let i = 0; i < 3; i++)
      expect((await registry.execute('erp', {}, call).catch((e) => e)).code).toBe('LLMT_E_ACTION_FAILED');
    expect(registry.list()[0]!.circuit_state).toBe('open');
    const fast = await registry.execute('erp', {}, call).catch((e) => e);
    expect(fast.code).toBe('LLMT_E_CIRCUIT_OPEN');
    expect(fast.retryable).toBe(true);
    expect(api.seen.length - before).toBe(3);
    vi.setSystemTime(Date.now() + 11_000);
    cue = [503];
    // Half-open: one trial call; it fails, so the breaker opens again.
    expect((await registry.execute('erp', {}, call).catch((e) => e)).code).toBe('LLMT_E_ACTION_FAILED');
    expect(registry.list()[0]!.circuit_state).toBe('open');
    vi.setSystemTime(Date.now() + 11_000);
    expect((await registry.execute('erp', {}, call)).response_code).toBe(200);
    expect(registry.list()[0]!.circuit_state).toBe('closed');
    await registry.close();
  });

  test('non-JSON bodies are text; a 4xx error body fails at once with the body in the error', async () => {
    const engine = await boot();
    engine.actions.define('text', { type: 'rest_api', url: `${api.origin}/text` });
    engine.actions.define('invalid', { type: 'webhook', url: `${api.origin}/invalid`, retry_count: 3 });
    const a = await finish(engine, (await engine.startRun({ segment: step('text'), input: {} })).runId);
    expect(a.outputs).toEqual({ call: 'plain words' });
    const before = api.seen.length;
    const b = await finish(engine, (await engine.startRun({ segment: step('invalid'), input: {} })).runId);
    expect(b.error?.code).toBe('LLMT_E_ACTION_FAILED');
    expect(b.error?.message).toContain('422');
    expect(api.seen.length - before).toBe(1);
    const view = await engine.getRun(b.runId);
    expect(view?.steps[0]?.error?.details).toMatchObject({
      action: 'invalid',
      body: { error: 'sku unknown' },
      result: { status: 'failed', response_code: 422, error_type: 'LLMT_E_ACTION_FAILED' },
    });
  });

  test('a secret the server echoes across the cut of its error body leaves no part in the run', async () => {
    const engine = await boot();
    engine.actions.define('echo', {
      type: 'webhook',
      url: `${api.origin}/echo-token`,
      auth_type: 'bearer',
      auth_config: { token_secret: 'erp_token' },
    });
    const run = await finish(engine, (await engine.startRun({ segment: step('echo'), input: {} })).runId);
    expect(run.status).toBe('failed');
    const view = await engine.getRun(run.runId);
    const body = (view?.steps[0]?.error?.details as { body?: string } | undefined)?.body as string;
    expect(body).toHaveLength(2048);
    expect(body.endsWith(' Bearer [sec')).toBe(true);
    expect(JSON.stringify(view)).not.toContain('tok-');
  });

  test('a response over max_response_bytes is refused, with or without content-length', async () => {
    const registry = new ActionRegistry({ secrets: secretsProvider, outbound: { allow: ['127.0.0.1'] } });
    registry.define('big', { type: 'rest_api', url: `${api.origin}/big`, max_response_bytes: 1000 });
    registry.define('chunked', { type: 'rest_api', url: `${api.origin}/chunked`, max_response_bytes: 1000 });
    for (const name of ['big', 'chunked']) {
      const error = await registry.execute(name, {}, { tenantId: 't', idempotencyKey: 'k' }).catch((e) => e);
      expect(error.code).toBe('LLMT_E_ACTION_RESPONSE_TOO_LARGE');
      expect(error.retryable).toBe(false);
      expect(error.details.field).toBe('max_response_bytes');
    }
    await registry.close();
  });

  test('a call over its timeout is aborted and ends as status timeout', async () => {
    const registry = new ActionRegistry({ secrets: secretsProvider, outbound: { allow: ['127.0.0.1'] } });
    registry.define('slow', { type: 'rest_api', url: `${api.origin}/hang`, timeout: 0.1 });
    const error = await registry.execute('slow', {}, { tenantId: 't', idempotencyKey: 'k' }).catch((e) => e);
    expect(error.code).toBe('LLMT_E_ACTION_TIMEOUT');
    expect(error.details.result.status).toBe('timeout');
    await registry.close();
  });

  test('a missing secret fails the run naming the action and field; nothing is sent', async () => {
    const engine = await boot();
    engine.actions.define('nokey', {
      type: 'webhook',
      url: `${api.origin}/orders`,
      auth_type: 'bearer',
      auth_config: { token_secret: 'absent_token' },
    });
    const before = api.seen.length;
    const done = await finish(engine, (await engine.startRun({ segment: step('nokey'), input: {} })).runId);
    expect(done.error?.code).toBe('LLMT_E_SECRET_NOT_FOUND');
    expect(done.error?.message).toContain('action "nokey"');
    expect(done.error?.message).toContain('auth_config.token_secret');
    expect(api.seen.length).toBe(before);
  });

  test('configs that inline a secret or miss what their auth needs are refused, naming the field', () => {
    const registry = new ActionRegistry({ secrets: secretsProvider });
    expect(() =>
      registry.define('inline', {
        type: 'webhook',
        url: 'https://erp.example/api',
        auth_type: 'bearer',
        auth_config: { token: 'literal' },
      }),
    ).toThrow(/actions\.inline\.auth_config.*token/);
    expect(() =>
      registry.define('half', {
        type: 'webhook',
        url: 'https://erp.example/api',
        auth_type: 'basic',
        auth_config: {},
      }),
    ).toThrow(/actions\.half\.auth_config\.password_secret/);
    expect(() => registry.define('nourl', { type: 'rest_api' })).toThrow(/actions\.nourl.*url/);
  });

  test('a server that is down is a retryable typed error, and the run resumes when it is back', async () => {
    const late = localServer((_s, res) => json(res, 200, { back: true }));
    await late.start();
    const port = late.port;
    await new Promise<void>((r) => late.server.close(() => r()));
    const engine = await boot({ pollIntervalMs: 20 });
    engine.actions.define('down', { type: 'webhook', url: `http://127.0.0.1:${port}/x`, retry_count: 5 });
    const run = await engine.startRun({
      segment: step('down', { retry: { max_attempts: 6, backoff: 0.3 } }),
      input: {},
    });
    await vi.waitFor(
      async () => {
        const events = await engine.store.listEvents('default', run.runId);
        expect(events.some((e) => e.type === 'step.retrying')).toBe(true);
      },
      { timeout: 10_000 },
    );
    const failed = (await engine.store.listEvents('default', run.runId)).find(
      (e) => e.type === 'action.failed',
    )!;
    expect(failed.data.error_type).toBe('LLMT_E_ACTION_UNAVAILABLE');
    await new Promise<void>((r) => late.server.listen(port, '127.0.0.1', r));
    try {
      const done = await finish(engine, run.runId);
      expect(done.outputs).toEqual({ call: { back: true } });
    } finally {
      late.server.close();
    }
  });

  test('the idempotency key is the same when a crashed call runs again on another engine', async () => {
    const memory = new MemoryStore();
    // Commit 2 records the step's result (commit 1 created the run and started the step):
    // the call was made, the commit never happened.
    const crashing = new CrashingStore(memory, 2, 'before');
    const clock = new ManualClock();
    const actions = { create: { type: 'webhook', url: `${api.origin}/orders/create` } };
    const first = createEngine({
      store: crashing.asStore(),
      secrets: secretsProvider,
      outbound: { allow: ['127.0.0.1'] },
      actions,
      clock,
      leaseMs: 30,
      workerId: 'first',
    });
    const before = api.seen.length;
    const run = await first.startRun({ segment: step('create'), input: { sku: 'A' } });
    await crashing.died;
    await first.stop({ graceMs: 10 });
    clock.advance(31); // the dead worker's lease expires
    const second = await boot({ store: memory, actions, clock, leaseMs: 30, workerId: 'second' });
    const done = await finish(second, run.runId);
    expect(done.status).toBe('completed');
    const keys = api.seen.slice(before).map((s) => s.headers['idempotency-key']);
    expect(keys).toEqual([`${run.runId}:call:1`, `${run.runId}:call:1`]);
    // Only the committed call is audited.
    expect((await second.listAudit()).filter((a) => a.action === 'action.call')).toHaveLength(1);
  });

  describe('outbound safety', () => {
    test('refuses loopback, private, link-local and metadata addresses in every spelling', async () => {
      const registry = new ActionRegistry({ secrets: secretsProvider });
      const port = api.port;
      const targets = [
        `http://127.0.0.1:${port}/orders`,
        `http://localhost:${port}/orders`,
        `http://2130706433:${port}/orders`,
        `http://0177.0.0.1:${port}/orders`,
        `http://0x7f.1:${port}/orders`,
        `http://[::1]:${port}/orders`,
        `http://[::ffff:127.0.0.1]:${port}/orders`,
        'http://169.254.169.254/latest/meta-data/',
        'http://10.0.0.8/',
        'http://192.168.1.1/',
        'http://[fd00:ec2::254]/',
      ];
      const before = api.seen.length;
      for (const [i, url] of targets.entries()) {
        registry.define(`t${i}`, { type: 'rest_api', url });
        const error = await registry
          .execute(`t${i}`, {}, { tenantId: 't', idempotencyKey: 'k' })
          .catch((e) => e);
        expect(error.code, url).toBe('LLMT_E_ADDRESS_NOT_ALLOWED');
        expect(error.retryable).toBe(false);
      }
      expect(api.seen.length).toBe(before);
      await registry.close();
    });

    test('classifies addresses, judging IPv4 inside IPv6 by its IPv4 part', () => {
      for (const ip of [
        '127.0.0.1',
        '10.2.3.4',
        '172.31.0.1',
        '192.168.0.1',
        '169.254.169.254',
        '100.64.0.1',
        '0.0.0.0',
        '::1',
        '::',
        'fe80::1',
        'fc00::1',
        '::ffff:10.0.0.1',
        '::ffff:7f00:1',
        '64:ff9b::a9fe:a9fe',
      ])
        expect(blockedReason(ip), ip).toBeDefined();
      for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '172.32.0.1'])
        expect(blockedReason(ip), ip).toBeUndefined();
    });

    test('a redirect to a private or metadata address is refused', async () => {
      const engine = await boot();
      engine.actions.define('priv', { type: 'rest_api', url: `${api.origin}/to-private` });
      engine.actions.define('meta', { type: 'rest_api', url: `${api.origin}/to-metadata` });
      for (const name of ['priv', 'meta']) {
        const done = await finish(engine, (await engine.startRun({ segment: step(name), input: {} })).runId);
        expect(done.error?.code).toBe('LLMT_E_ADDRESS_NOT_ALLOWED');
      }
    });

    test('a redirect to another origin carries no credentials; a same-origin one keeps them', async () => {
      const engine = await boot();
      engine.actions.define('hop', {
        type: 'webhook',
        url: `${api.origin}/to-other`,
        auth_type: 'bearer',
        auth_config: { token_secret: 'erp_token' },
        secret_headers: { 'X-Erp-Key': 'erp_key' },
      });
      engine.actions.define('stay', {
        type: 'rest_api',
        url: `${api.origin}/same-origin`,
        auth_type: 'bearer',
        auth_config: { token_secret: 'erp_token' },
      });
      const run = await engine.startRun({ segment: step('hop'), input: { a: 1 } });
      expect((await finish(engine, run.runId)).outputs).toEqual({ call: { landed: true, path: '/landing' } });
      const landed = other.seen.at(-1)!;
      expect(landed.headers.authorization).toBeUndefined();
      expect(landed.headers['x-erp-key']).toBeUndefined();
      expect(landed.headers['idempotency-key']).toBe(`${run.runId}:call:1`);
      expect(api.seen.at(-1)!.headers.authorization).toBe('Bearer tok-123');
      await finish(engine, (await engine.startRun({ segment: step('stay'), input: {} })).runId);
      const after = api.seen.at(-1)!;
      expect(after.path).toBe('/orders/after');
      expect(after.headers.authorization).toBe('Bearer tok-123');
    });
  });

  describe('http_action', () => {
    test('calls a declared action by name', async () => {
      const engine = await boot();
      engine.actions.define('named', { type: 'webhook', url: `${api.origin}/orders/named` });
      const segment: SegmentDefinition = {
        segment_id: 'by_name',
        steps: [{ step_id: 'call', step_type: 'http_action', config: { action: 'named' } }],
      };
      const done = await finish(engine, (await engine.startRun({ segment, input: { n: 1 } })).runId);
      expect(done.outputs).toEqual({ call: { received: { n: 1 }, path: '/orders/named' } });
    });

    test('a redirect to another allowed origin does not carry secret_headers', async () => {
      const engine = await boot({
        permissions: {
          http_action: {
            hosts: [`127.0.0.1:${api.port}`, `127.0.0.1:${other.port}`],
            secrets: ['erp_token'],
          },
        },
      });
      const segment: SegmentDefinition = {
        segment_id: 'bounce',
        steps: [
          {
            step_id: 'call',
            step_type: 'http_action',
            config: { url: `${api.origin}/to-other`, secret_headers: { Authorization: 'erp_token' } },
          },
        ],
      };
      const done = await finish(engine, (await engine.startRun({ segment, input: {} })).runId);
      expect(done.outputs).toEqual({ call: { landed: true, path: '/landing' } });
      expect(api.seen.at(-1)!.headers.authorization).toBe('tok-123');
      expect(other.seen.at(-1)!.headers.authorization).toBeUndefined();
    });
  });
});
