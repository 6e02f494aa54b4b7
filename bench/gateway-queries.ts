/**
 * Queries per second for `run(id)` over keep-alive HTTP: autocannon, 50 connections, ~5 s,
 * against the gateway on SQLite and on memory (the difference is the store's share).
 */

import { createLlmteamClient } from '@llmteam/client';
import autocannon from 'autocannon';
import { BIG_ORDER, benchGateway } from './gateway-support.js';

async function measure(kind: 'sqlite' | 'memory', durationSeconds: number) {
  const bench = await benchGateway(kind);
  try {
    const client = createLlmteamClient({ url: bench.gateway.url, apiKey: bench.key });
    const run = await client.startRun('order_flow', BIG_ORDER);
    const body = JSON.stringify({
      query:
        'query($id: ID!) { run(id: $id) { id status outputs steps { stepId status } waitingOn { interactions { id title } } } }',
      variables: { id: run.id },
    });
    const result = await autocannon({
      url: bench.gateway.url,
      method: 'POST',
      connections: 50,
      duration: durationSeconds,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bench.key}` },
      body,
    });
    return {
      requestsPerSecond: Math.round(result.requests.average),
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
      errors: result.errors,
      non2xx: result.non2xx,
      totalRequests: result.requests.total,
    };
  } finally {
    await bench.close();
  }
}

export async function run() {
  const duration = Number(process.env.BENCH_GATEWAY_SECONDS ?? 5);
  return {
    connections: 50,
    durationSeconds: duration,
    sqlite: await measure('sqlite', duration),
    memory: await measure('memory', duration),
  };
}
