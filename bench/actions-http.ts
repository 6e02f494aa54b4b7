/**
 * Executor overhead per HTTP call: a `rest_api` action through `ActionRegistry.execute`
 * (result model, timeout, outbound guard, audit record) against a bare `fetch` to the same
 * local keep-alive server, in the same run, interleaved. Target: `ratio` < 1.2.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ActionRegistry } from '@llmteam/core';

const CALLS = 1000;
const ROUNDS = 5;

async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return Number(process.hrtime.bigint() - start) / 1000 / n;
}

/** Runs the benchmark; returns microseconds per call and the ratio. */
export async function run(): Promise<Record<string, unknown>> {
  const body = JSON.stringify({ in_stock: 3, sku: 'A-1' });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/inventory`;
  const registry = new ActionRegistry({
    secrets: { get: async () => undefined },
    outbound: { allow: ['127.0.0.1'] },
  });
  registry.define('inventory', { type: 'rest_api', url, method: 'POST', timeout: 'PT10S' });
  const input = { sku: 'A-1', qty: 2 };
  const bare = (i: number) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `k${i}` },
      body: JSON.stringify(input),
    }).then((r) => r.json());
  const action = (i: number) =>
    registry.execute('inventory', input, { tenantId: 'default', idempotencyKey: `k${i}` }, () => undefined);
  try {
    await timeEach(200, bare);
    await timeEach(200, action);
    const bareUs: number[] = [];
    const actionUs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      bareUs.push(await timeEach(CALLS, bare));
      actionUs.push(await timeEach(CALLS, action));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const b = median(bareUs);
    const a = median(actionUs);
    return {
      calls: CALLS * ROUNDS,
      bareFetchUs: Math.round(b),
      actionUs: Math.round(a),
      ratio: Math.round((a / b) * 100) / 100,
      target: '< 1.2',
    };
  } finally {
    await registry.close();
    server.closeAllConnections();
    server.close();
  }
}
