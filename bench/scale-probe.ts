/**
 * One fresh engine process on a seeded store (a child of `scale.ts`): start-up time, RSS,
 * first inbox pages in SLA order, and answers to the next step. Prints one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { createEngine, OPEN_INTERACTION_STATUSES, type Store } from '@llmteam/core';
import { createPostgresStore } from '@llmteam/store-postgres';
import { createSqliteStore } from '@llmteam/store-sqlite';

interface ProbeArgs {
  store: 'sqlite' | 'postgres';
  path?: string;
  url?: string;
  schema?: string;
  inboxPages: number;
  answers: number;
}

const args = JSON.parse(process.argv[2]) as ProbeArgs;
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const round = (n: number) => Math.round(n * 1000) / 1000;
const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN);
};

const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
const store: Store =
  args.store === 'sqlite'
    ? createSqliteStore({ path: args.path!, synchronous: 'NORMAL' })
    : createPostgresStore({ url: args.url!, schema: args.schema! });
const engine = createEngine({ store, pollIntervalMs: 60_000 });
await engine.start();
const startupMs = performance.now() - t0;
const rssStarted = process.memoryUsage().rss;

const open = [...OPEN_INTERACTION_STATUSES];
const inbox: number[] = [];
let first: Awaited<ReturnType<typeof engine.listInteractions>> = [];
for (let i = 0; i < args.inboxPages; i++) {
  const s = performance.now();
  const page = await engine.listInteractions({ status: open, assignee: 'alice', limit: 50 });
  inbox.push(performance.now() - s);
  if (i === 0) first = page;
}
const inOrder = first.every((r, i) => i === 0 || (first[i - 1].slaBreachAt ?? '') <= (r.slaBreachAt ?? ''));

// Answer requests from the front of the inbox, one at a time: respond to the next step's start.
const started = new Map<string, (t: number) => void>();
const off = engine.onEvent(
  (e) => {
    if (e.step_id === 'next') started.get(e.run_id)?.(performance.now());
  },
  { types: ['step.started'] },
);
const answer: number[] = [];
const warmup = 20;
for (let i = 0; i < args.answers + warmup; i++) {
  const [request] = await engine.listInteractions({ status: open, assignee: 'alice', limit: 1 });
  if (!request) break;
  const next = new Promise<number>((r) => started.set(request.runId, r));
  const s = performance.now();
  await engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'alice' } });
  const at = await next;
  started.delete(request.runId);
  if (i >= warmup) answer.push(at - s);
}
off();
const rssEnd = process.memoryUsage().rss;
await engine.stop();
await store.close();
console.log(
  JSON.stringify({
    startupMs: round(startupMs),
    rssMB: { beforeEngine: mb(rssBefore), afterStart: mb(rssStarted), afterWork: mb(rssEnd) },
    inboxFirstPageMs: {
      p50: pct(inbox, 50),
      p99: pct(inbox, 99),
      pages: inbox.length,
      size: first.length,
      inOrder,
    },
    answerToNextStepMs: { p50: pct(answer, 50), p99: pct(answer, 99), answers: answer.length },
  }),
);
process.exit(0);
