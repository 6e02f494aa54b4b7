/**
 * 1,000 concurrent graphql-ws subscribers to one run: time for the events of one approval
 * (ending with `run.completed`) to reach all of them, measured from the approve request.
 */
import { performance } from 'node:perf_hooks';
import { createLlmteamClient } from '@llmteam/client';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { BIG_ORDER, benchGateway, percentile, round } from './gateway-support.js';

export async function run() {
  const subscribers = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
  const bench = await benchGateway('sqlite');
  const client = createLlmteamClient({ url: bench.gateway.url, apiKey: bench.key });
  const sockets: Client[] = [];
  try {
    const started = await client.startRun('order_flow', BIG_ORDER);
    let request: string | undefined;
    for (let i = 0; i < 200 && !request; i++) {
      request = (await client.interactions({ runId: started.id }))[0]?.id;
      if (!request) await new Promise((r) => setTimeout(r, 10));
    }
    const run = await client.run(started.id);
    const afterSeq = run?.lastSeq ?? 0;
    const arrivals: number[] = [];
    let ready = 0;
    let allReady!: () => void;
    let allDone!: () => void;
    const readyPromise = new Promise<void>((r) => (allReady = r));
    const donePromise = new Promise<void>((r) => (allDone = r));
    const connectStart = performance.now();
    for (let i = 0; i < subscribers; i++) {
      const ws = createClient({
        url: bench.gateway.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${bench.key}` },
        on: {
          connected: () => {
            ready += 1;
            if (ready === subscribers) allReady();
          },
        },
        lazy: true,
      });
      sockets.push(ws);
      ws.subscribe<{ runEvents: { type: string } }>(
        {
          query:
            'subscription($id: ID!, $after: Int) { runEvents(runId: $id, afterSeq: $after) { seq type } }',
          variables: { id: started.id, after: afterSeq },
        },
        {
          next: ({ data }) => {
            if (data?.runEvents.type === 'run.completed') {
              arrivals.push(performance.now());
              if (arrivals.length === subscribers) allDone();
            }
          },
          error: () => {},
          complete: () => {},
        },
      );
    }
    await readyPromise;
    const connectMs = performance.now() - connectStart;
    // Let every subscription finish its (empty) replay before the event that is measured.
    await new Promise((r) => setTimeout(r, 500));
    const sent = performance.now();
    await client.approve(request as string);
    await donePromise;
    const lags = arrivals.map((t) => t - sent).sort((a, b) => a - b);
    return {
      subscribers,
      connectAllMs: round(connectMs),
      runCompletedToAllMs: round(lags[lags.length - 1]),
      firstMs: round(lags[0]),
      p50Ms: round(percentile(lags, 50)),
      p99Ms: round(percentile(lags, 99)),
    };
  } finally {
    await Promise.all(sockets.map((s) => s.dispose()));
    await bench.close();
  }
}
