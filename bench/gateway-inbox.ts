/**
 * What the console's inbox asks the gateway for with 10,000 open requests (100 runs of 100
 * parallel approvals for group finance), on memory and SQLite: the first page as the
 * console asks for it, the open count, both together as the first screen waits for them,
 * and `runs(waitingOn:)`; next to the bare store calls they wrap (the due-index page and
 * the list of open requests). Milliseconds, median and p90 of 15 rounds after 2 warm-ups.
 */

import { createLlmteamClient, type LlmteamClient } from '@llmteam/client';
import { OPEN_INTERACTION_STATUSES } from '@llmteam/core';
import { benchGateway, percentile, round } from './gateway-support.js';

const REQUESTS = Number(process.env.BENCH_INBOX_REQUESTS ?? 10_000);
const WIDE = 100;
const ROUNDS = 15;

const SEGMENT = {
  segment_id: 'wide',
  name: 'Wide approvals',
  version: '1.0.0',
  steps: Array.from({ length: WIDE }, (_v, i) => ({
    step_id: `check_${i}`,
    step_type: 'human_task',
    config: {
      task_type: 'approval',
      title: `Approve line ${i}`,
      assignee_ref: 'group:finance',
      priority: ['low', 'normal', 'high', 'critical'][i % 4],
      timeout: `PT${(i % 48) + 1}H`,
    },
  })),
  edges: [],
};

async function time(fn: () => Promise<unknown>): Promise<{ p50: number; p90: number }> {
  for (let i = 0; i < 2; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await fn();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  return { p50: round(percentile(ms, 50), 1), p90: round(percentile(ms, 90), 1) };
}

/** The console's first screen: a page of 50 and the count, in parallel. */
function firstScreen(client: LlmteamClient) {
  return Promise.all([client.inbox({ first: 50 }), client.openInteractionCount()]);
}

async function measure(kind: 'sqlite' | 'memory') {
  const bench = await benchGateway(kind);
  try {
    const client = createLlmteamClient({ url: bench.gateway.url, apiKey: bench.key });
    await client.upsertSegment(SEGMENT);
    for (let r = 0; r < REQUESTS / WIDE; r++) await client.startRun('wide', { batch: r });
    const open = { status: [...OPEN_INTERACTION_STATUSES] };
    for (let i = 0; i < 1200; i++) {
      if ((await bench.store.listInteractions('default', open)).length >= REQUESTS) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {
      firstScreen: await time(() => firstScreen(client)),
      inboxPage: await time(() => client.inbox({ first: 50 })),
      openCount: await time(() => client.openInteractionCount()),
      waitingRuns: await time(() => client.runs({ waitingOn: 'group:finance', first: 25 })),
      bare: {
        storeDuePage: await time(() =>
          bench.store.listInteractions('default', { ...open, order: 'due', limit: 100 }),
        ),
        storeAllOpen: await time(() => bench.store.listInteractions('default', open)),
      },
    };
  } finally {
    await bench.close();
  }
}

export async function run() {
  return {
    requests: REQUESTS,
    unit: 'ms (p50, p90 of 15)',
    memory: await measure('memory'),
    sqlite: await measure('sqlite'),
  };
}
