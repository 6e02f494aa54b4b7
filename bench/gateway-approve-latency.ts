/**
 * Latency from the `approve` mutation to `run.completed` at a graphql-ws subscriber,
 * p50 / p99 over N approvals (one at a time), on SQLite: measured from the moment the
 * mutation's HTTP response arrives, and from the moment the request is sent.
 */
import { performance } from 'node:perf_hooks';
import { createLlmteamClient, isWorktrailEventOf, type WorktrailEvent } from '@llmteam/client';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { BIG_ORDER, benchGateway, percentile, round } from './gateway-support.js';

export async function run() {
  const n = Number(process.env.BENCH_APPROVALS ?? 200);
  const bench = await benchGateway('sqlite');
  const client = createLlmteamClient({ url: bench.gateway.url, apiKey: bench.key });
  const ws = createClient({
    url: bench.gateway.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${bench.key}` },
  });
  const fromResponse: number[] = [];
  const fromRequest: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const started = await client.startRun('order_flow', BIG_ORDER);
      let requestId: string | undefined;
      let completedAt = 0;
      let onRequested!: () => void;
      let onCompleted!: () => void;
      const requested = new Promise<void>((r) => (onRequested = r));
      const completed = new Promise<void>((r) => (onCompleted = r));
      const stop = ws.subscribe<{ runEvents: WorktrailEvent }>(
        {
          query: 'subscription($id: ID!) { runEvents(runId: $id) { type data } }',
          variables: { id: started.id },
        },
        {
          next: ({ data }) => {
            const e = data?.runEvents;
            if (e && isWorktrailEventOf(e, 'interaction.requested')) {
              requestId = e.data.interaction_id;
              onRequested();
            }
            if (e?.type === 'run.completed') {
              completedAt = performance.now();
              onCompleted();
            }
          },
          error: () => {},
          complete: () => {},
        },
      );
      await requested;
      if (!requestId) requestId = (await client.interactions({ runId: started.id }))[0]?.id;
      const sent = performance.now();
      await client.approve(requestId as string);
      const answered = performance.now();
      await completed;
      stop();
      fromResponse.push(Math.max(0, completedAt - answered));
      fromRequest.push(completedAt - sent);
    }
  } finally {
    await ws.dispose();
    await bench.close();
  }
  fromResponse.sort((a, b) => a - b);
  fromRequest.sort((a, b) => a - b);
  return {
    approvals: n,
    store: 'sqlite',
    fromResponseMs: { p50: round(percentile(fromResponse, 50)), p99: round(percentile(fromResponse, 99)) },
    fromRequestMs: { p50: round(percentile(fromRequest, 50)), p99: round(percentile(fromRequest, 99)) },
  };
}
