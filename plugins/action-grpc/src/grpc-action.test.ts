import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import { createEngine, type Engine, MemoryStore, type SegmentDefinition } from '@llmteam/core';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import plugin from './index.js';

const PROTO = `syntax = "proto3";
package inventory.v1;
service Inventory {
  rpc Check (CheckRequest) returns (CheckReply);
  rpc Slow (CheckRequest) returns (CheckReply);
}
message CheckRequest { string sku = 1; int32 qty = 2; }
message CheckReply { bool in_stock = 1; string seen_key = 2; string tenant = 3; }
`;

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 200 });
});

describe('gRPC actions against a server the test starts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-grpc-'));
  const proto = join(dir, 'inventory.proto');
  writeFileSync(proto, PROTO);
  let server: grpc.Server;
  let port = 0;
  const calls: Array<{ sku: string; auth?: string }> = [];

  async function listen(): Promise<void> {
    const def = grpc.loadPackageDefinition(loader.loadSync(proto, { keepCase: true })) as any;
    server = new grpc.Server();
    server.addService(def.inventory.v1.Inventory.service, {
      Check(call: any, callback: any) {
        const auth = call.metadata.get('authorization')[0] as string | undefined;
        calls.push({ sku: call.request.sku, auth });
        if (auth !== 'Bearer inv-token') {
          callback({ code: grpc.status.UNAUTHENTICATED, details: 'bad token' });
          return;
        }
        callback(null, {
          in_stock: call.request.qty <= 5,
          seen_key: call.metadata.get('idempotency-key')[0],
          tenant: call.metadata.get('x-tenant-id')[0],
        });
      },
      Slow() {
        // never answers: the deadline ends it
      },
    });
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
  }

  beforeAll(listen);
  afterAll(() => {
    server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  async function boot(token = 'inv-token') {
    const base = { type: 'grpc', address: `127.0.0.1:${port}`, proto, service: 'inventory.v1.Inventory' };
    const engine = createEngine({
      store: new MemoryStore(),
      pollIntervalMs: 20,
      secrets: { get: async (name) => (name === 'inventory_token' ? `Bearer ${token}` : undefined) },
      plugins: [plugin],
      actions: {
        check: {
          ...base,
          method: 'Check',
          timeout: 'PT5S',
          metadata_secrets: { authorization: 'inventory_token' },
        },
        slow: { ...base, method: 'Slow', timeout: 0.3 },
        missing: { ...base, method: 'Nope' },
      },
    });
    engines.push(engine);
    await engine.start();
    return engine;
  }

  const segment = (action: string, retry = false): SegmentDefinition => ({
    segment_id: `grpc_${action}`,
    steps: [
      {
        step_id: 'call',
        step_type: 'action',
        config: { action },
        ...(retry ? { retry: { max_attempts: 30, backoff: 0.1, max_backoff: 0.2 } } : {}),
      },
    ],
  });

  test('a unary call sends metadata auth from a secret and the call headers', async () => {
    const engine = await boot();
    const run = await engine.startRun({ segment: segment('check'), input: { sku: 'A', qty: 2 } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({
      call: { in_stock: true, seen_key: `${run.runId}:call:1`, tenant: 'default' },
    });
    expect(calls.at(-1)).toEqual({ sku: 'A', auth: 'Bearer inv-token' });
  });

  test('an error status is a typed error with the status name; UNAUTHENTICATED is not retried', async () => {
    const engine = await boot('wrong');
    const error = await engine.actions
      .execute('check', { sku: 'B' }, { tenantId: 'default', idempotencyKey: 'k' })
      .catch((e) => e);
    expect(error.code).toBe('LLMT_E_ACTION_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.details.result.response_code).toBe('UNAUTHENTICATED');
  });

  test('the deadline ends a call that does not answer', async () => {
    const engine = await boot();
    const error = await engine.actions
      .execute('slow', { sku: 'C' }, { tenantId: 'default', idempotencyKey: 'k' })
      .catch((e) => e);
    expect(error.code).toBe('LLMT_E_ACTION_TIMEOUT');
    expect(error.details.result.status).toBe('timeout');
  });

  test('an unknown method is a config error naming the field', async () => {
    const engine = await boot();
    const error = await engine.actions
      .execute('missing', {}, { tenantId: 'default', idempotencyKey: 'k' })
      .catch((e) => e);
    expect(error.code).toBe('LLMT_E_ACTION_CONFIG');
    expect(error.details.field).toBe('method');
  });

  test('the server going away mid-run is a retryable typed error; the run resumes when it is back', async () => {
    const engine = await boot();
    server.forceShutdown();
    const run = await engine.startRun({ segment: segment('check', true), input: { sku: 'D', qty: 9 } });
    await vi.waitFor(
      async () => {
        const events = await engine.store.listEvents('default', run.runId);
        expect(events.find((e) => e.type === 'action.failed')?.data.error_type).toBe(
          'LLMT_E_ACTION_UNAVAILABLE',
        );
      },
      { timeout: 10_000 },
    );
    await listen();
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 20_000 });
    expect(done.outputs?.call).toMatchObject({ in_stock: false, tenant: 'default' });
  });
});
