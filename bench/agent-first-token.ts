/**
 * First streamed token to a graphql-ws subscriber: an `llm_agent` step streams its answer
 * from the OpenAI model test server through the gateway; the time from the first text piece
 * leaving the test server (written to its socket) to a graphql-ws subscriber of
 * `events(types: ["step.progress"])` receiving it, one run at a time, on MemoryStore.
 * Both clocks are this process's `performance.now()`. Target: p99 overhead < 5 ms.
 */
import { performance } from 'node:perf_hooks';
import { createEngine, MemoryStore, type SegmentDefinition, silentLogger } from '@llmteam/core';
import { createApiKey, createGateway, createLogger } from '@llmteam/gateway';
import openai from '@llmteam/llm-openai';
import { startOpenAiTestServer } from '@llmteam/testkit';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { percentile, round } from './gateway-support.js';

const segment: SegmentDefinition = {
  segment_id: 'bench_stream',
  steps: [
    {
      step_id: 'answer',
      step_type: 'llm_agent',
      config: { provider: 'local', model: 'gpt-bench', prompt: '"Price order " & $string(n)' },
    },
  ],
  edges: [],
};

const ANSWER = 'Order 7 is priced at 1200 EUR; it needs the approval of finance before it ships.';

export async function run() {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 200;
  // The first text piece of each run, as it leaves the server and as the subscriber gets it.
  const serverFirst = new Map<string, number>();
  const clientFirst = new Map<string, number>();
  const llm = await startOpenAiTestServer({
    fallback: () => ({ text: ANSWER, chunkSize: 6, delayMs: 1 }),
    onStreamEvent: ({ request, data, at }) => {
      const delta = (data as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta;
      // The idempotency key is runId:stepId:turn.
      const runId = String(request.headers['idempotency-key'] ?? '').split(':')[0]!;
      if (delta?.content && !serverFirst.has(runId)) serverFirst.set(runId, at);
    },
  });
  const store = new MemoryStore();
  const engine = createEngine({
    store,
    logger: silentLogger,
    plugins: [{ plugin: openai, options: { name: 'local', baseUrl: llm.url } }],
  });
  const gateway = await createGateway({
    engine,
    port: 0,
    host: '127.0.0.1',
    logger: createLogger({ level: 'silent' }),
  });
  await store.putTenant({
    tenantId: 'default',
    name: 'Default',
    tier: 'starter',
    limits: {},
    createdAt: new Date().toISOString(),
  });
  const { secret } = await createApiKey(store, { tenantId: 'default', roles: ['viewer'], subject: 'bench' });
  await engine.upsertSegment(segment);

  const firstSeen = new Map<string, () => void>();
  const ws = createClient({
    url: gateway.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${secret}` },
  });
  let ready!: () => void;
  const connected = new Promise<void>((r) => {
    ready = r;
  });
  ws.on('connected', () => ready());
  ws.subscribe<{ events: { runId: string; data: { text?: string } } }>(
    { query: 'subscription { events(types: ["step.progress"]) { runId data } }' },
    {
      next: ({ data }) => {
        const event = data?.events;
        if (event?.data?.text && !clientFirst.has(event.runId)) {
          clientFirst.set(event.runId, performance.now());
          firstSeen.get(event.runId)?.();
        }
      },
      error: () => {},
      complete: () => {},
    },
  );
  await connected;
  await new Promise((r) => setTimeout(r, 300));

  const done = new Map<string, () => void>();
  const off = engine.onEvent((e) => done.get(e.run_id)?.(), { types: ['run.completed', 'run.failed'] });
  const overheads: number[] = [];
  try {
    for (let i = 0; i < runs + 20; i++) {
      let finish!: () => void;
      const finished = new Promise<void>((r) => {
        finish = r;
      });
      const started = await engine.startRun({ segmentId: segment.segment_id, input: { n: i } });
      const id = started.runId;
      done.set(id, finish);
      const seen = clientFirst.has(id) ? undefined : new Promise<void>((r) => firstSeen.set(id, r));
      await Promise.all([seen, finished]);
      done.delete(id);
      firstSeen.delete(id);
      const sent = serverFirst.get(id);
      const got = clientFirst.get(id);
      if (i >= 20 && sent !== undefined && got !== undefined) overheads.push(got - sent);
    }
  } finally {
    off();
    await ws.dispose();
    await gateway.stop('bench done');
    await store.close();
    await llm.close();
  }
  const sorted = [...overheads].sort((a, b) => a - b);
  const p99 = percentile(sorted, 99);
  return {
    runs: sorted.length,
    firstTokenOverheadMs: {
      p50: round(percentile(sorted, 50), 3),
      p99: round(p99, 3),
      max: round(sorted.at(-1)!, 3),
    },
    target: 'p99 < 5 ms',
    pass: p99 < 5,
  };
}
