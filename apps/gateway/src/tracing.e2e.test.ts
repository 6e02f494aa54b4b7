import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { defineStepType, parseTraceparent } from '@llmteam/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from './auth/api-keys.js';
import { createRuntime, type Runtime } from './config/create-runtime.js';
import { createGateway, type Gateway } from './create-gateway.js';
import { createLogger } from './logger.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

/** A local OTLP/HTTP collector: decodes every JSON export request it gets. */
async function otlpReceiver() {
  const spans: OtlpSpan[] = [];
  const services: string[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const decoded = JSON.parse(body.toString('utf8')) as {
        resourceSpans: Array<{
          resource: { attributes: OtlpSpan['attributes'] };
          scopeSpans: Array<{ spans: OtlpSpan[] }>;
        }>;
      };
      for (const rs of decoded.resourceSpans) {
        const name = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
        if (typeof name === 'string') services.push(name);
        for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    spans,
    services,
    paths,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
}

function attr(span: OtlpSpan | undefined, key: string): unknown {
  const value = span?.attributes.find((a) => a.key === key)?.value;
  return value && (value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue);
}

const CALLER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('tracing over OTLP, from the gateway config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-gw-otlp-'));
  const lines: Array<Record<string, unknown>> = [];
  const hookHeaders: IncomingHttpHeaders[] = [];
  let collector: Awaited<ReturnType<typeof otlpReceiver>>;
  let hook: Server;
  let runtime: Runtime;
  let gateway: Gateway;
  let key: string;

  beforeAll(async () => {
    collector = await otlpReceiver();
    hook = createServer((req, res) => {
      hookHeaders.push(req.headers);
      req.resume();
      req.on('end', () => res.end('{"sent":true}'));
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk, _enc, done) {
          for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
          done();
        },
      }),
    });
    const note = defineStepType({
      type: 'note',
      displayName: 'Note',
      category: 'UTILITY',
      configSchema: { type: 'object' },
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'output' }],
      handler(ctx) {
        ctx.logger.info({ note: 'priced' }, 'order priced');
        return { output: ctx.input };
      },
    });
    runtime = await createRuntime({
      loaded: {
        dir,
        config: {
          telemetry: { serviceName: 'orders-gateway', otlp: { endpoint: `${collector.url}/` } },
          actions: {
            notify: { type: 'webhook', url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` },
          },
          outbound: { allow: ['127.0.0.1'] },
        },
      },
      logger,
      engine: { stepTypes: [note], pollIntervalMs: 50 },
    });
    gateway = await createGateway({ engine: runtime.engine, host: '127.0.0.1', port: 0, logger });
    ({ secret: key } = await createApiKey(runtime.store, {
      tenantId: 'default',
      roles: ['operator'],
      subject: 'ops',
      groups: [],
    }));
  });
  afterAll(async () => {
    await gateway.stop('test finished');
    await runtime.close();
    await new Promise((r) => collector.server.close(r));
    await new Promise((r) => hook.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const gql = async (
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: any; errors?: unknown };
  };

  it('a run started with a traceparent header is exported under the caller’s span, and the webhook gets the action’s span', async () => {
    const up = await gql('mutation ($d: JSON!) { upsertSegment(definition: $d) { id } }', {
      d: {
        segment_id: 'orders',
        steps: [
          { step_id: 'price', step_type: 'note' },
          { step_id: 'tell', step_type: 'action', config: { action: 'notify' } },
        ],
        edges: [{ source_step: 'price', target_step: 'tell' }],
      },
    });
    expect(up.errors).toBeUndefined();
    const started = await gql(
      'mutation { startRun(segmentId: "orders", input: { total: 3 }) { id } }',
      {},
      { traceparent: CALLER },
    );
    expect(started.errors).toBeUndefined();
    const runId = started.data.startRun.id as string;
    expect((await runtime.engine.waitForRun(runId)).status).toBe('completed');
    await runtime.tracing!.flush();

    expect(collector.paths[0]).toMatch(/^POST \/v1\/traces application\/json/);
    expect(collector.services).toContain('orders-gateway');
    const caller = parseTraceparent(CALLER)!;
    const mine = collector.spans.filter((s) => s.traceId === caller.traceId);
    const byName = new Map(mine.map((s) => [s.name, s]));
    const run = byName.get('run orders');
    const tell = byName.get('step tell');
    const action = byName.get('action notify');
    expect(run?.parentSpanId).toBe(caller.spanId);
    expect(byName.get('step price')?.parentSpanId).toBe(run?.spanId);
    expect(tell?.parentSpanId).toBe(run?.spanId);
    expect(action?.parentSpanId).toBe(tell?.spanId);
    expect(attr(run, 'llmteam.run_id')).toBe(runId);
    expect(attr(action, 'llmteam.action.status')).toBe('completed');
    expect(hookHeaders.at(-1)?.traceparent).toBe(`00-${caller.traceId}-${action?.spanId}-01`);

    // Logs carry the ids that tie them to the trace.
    const note = lines.find((l) => l.msg === 'order priced');
    expect(note).toMatchObject({ runId, stepId: 'price', traceId: caller.traceId, note: 'priced' });
    expect(note?.spanId).toBe(byName.get('step price')?.spanId);
    const request = lines.find((l) => l.msg === 'graphql request' && l.traceId === caller.traceId);
    expect(request).toMatchObject({ tenantId: 'default', subject: 'ops' });
  });

  it('a run started without a traceparent starts a trace of its own; an invalid header is ignored', async () => {
    const started = await gql(
      'mutation { startRun(segmentId: "orders", input: {}) { id } }',
      {},
      { traceparent: '00-zz-not-valid' },
    );
    expect(started.errors).toBeUndefined();
    const runId = started.data.startRun.id as string;
    expect((await runtime.engine.waitForRun(runId)).status).toBe('completed');
    await runtime.tracing!.flush();
    const run = collector.spans.find((s) => s.name === 'run orders' && attr(s, 'llmteam.run_id') === runId);
    expect(run).toBeDefined();
    expect(run?.parentSpanId || undefined).toBeUndefined();
    const stored = (await runtime.engine.getRun(runId))!.run;
    expect(run?.traceId).toBe(stored.trace?.traceId);
  });
});
