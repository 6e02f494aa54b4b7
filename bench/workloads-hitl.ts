/**
 * The human-in-the-loop and storage workloads of the performance comparison, on SQLite:
 *
 * - W4a: 500 runs wait at an approval; each is answered one at a time. Time from
 *   `respond()` to the next step's `step.started` and to `run.completed`, p50 / p99, with
 *   `synchronous=NORMAL` and `FULL`. Beside it: the store calls one answer makes and the
 *   bare round trip (`getRun`) in the same run.
 * - W4b: runs started until they wait at the approval: runs/s (200 in flight), the store
 *   calls of one `startRun`, and with 10,000 waiting runs the heap / RSS growth and the
 *   database bytes per waiting run.
 * - W5: a 10-step chain carrying 1 KB / 100 KB / 1 MB of state (each step changes a
 *   counter beside the payload): µs per step and database bytes per run.
 *
 * `cd bench && node --expose-gc --import tsx run.ts workloads-hitl` after a build.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEngine, defineStepType, type SegmentDefinition, type Store } from '@llmteam/core';
import { createSqliteStore } from '@llmteam/store-sqlite';
import { countStatements } from './store-chain.js';
import { heap, startWaiting } from './waiting-runs.js';

const approval: SegmentDefinition = {
  segment_id: 'w4_wait',
  steps: [
    {
      step_id: 'ask',
      step_type: 'human_task',
      config: { task_type: 'approval', title: 'Ship it?', assignee_ref: 'alice' },
    },
    { step_id: 'next', step_type: 'transform', config: { expression: '$' } },
  ],
  edges: [{ source_step: 'ask', source_port: 'approved', target_step: 'next' }],
};

const bump = defineStepType({
  type: 'w5_bump',
  displayName: 'Bump a counter',
  category: 'UTILITY',
  configSchema: { type: 'object' },
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  handler: (ctx) => {
    const state = ctx.input as { counter: number; payload: string };
    return { output: { ...state, counter: state.counter + 1 } };
  },
});

const chain: SegmentDefinition = {
  segment_id: 'w5_chain',
  steps: Array.from({ length: 10 }, (_, i) => ({ step_id: `s${i}`, step_type: 'w5_bump' })),
  edges: Array.from({ length: 9 }, (_, i) => ({ source_step: `s${i}`, target_step: `s${i + 1}` })),
};

const gc = (globalThis as { gc?: () => void }).gc;
const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Wraps a store so that every call it gets is counted by method name. */
function counted(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string' || key === 'subscribe') return value;
      return (...args: unknown[]) => {
        calls.set(key, (calls.get(key) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

const total = (calls: Map<string, number>) => [...calls.values()].reduce((a, b) => a + b, 0);

/** Bytes per table and index (SQLite's `dbstat`), after a checkpoint. */
async function bytesByTable(store: Store): Promise<Map<string, number>> {
  const query = (store as unknown as { dataSource: { query(sql: string): Promise<unknown> } }).dataSource;
  await query.query('PRAGMA wal_checkpoint(TRUNCATE)');
  const rows = (await query.query('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name')) as Array<{
    name: string;
    bytes: number;
  }>;
  return new Map(rows.map((r) => [r.name, Number(r.bytes)]));
}

/** Bytes of the database file after a checkpoint folded the log into it. */
async function dbBytes(store: Store, path: string): Promise<number> {
  const query = (store as unknown as { dataSource: { query(sql: string): Promise<unknown> } }).dataSource;
  await query.query('PRAGMA wal_checkpoint(TRUNCATE)');
  return statSync(path).size;
}

async function w4a(dir: string, synchronous: 'NORMAL' | 'FULL', runs = 500) {
  const path = join(dir, `w4a-${synchronous}.sqlite`);
  const base = createSqliteStore({ path, synchronous });
  await base.init();
  const seeding = createEngine({ store: base });
  await seeding.start();
  await seeding.upsertSegment(approval);
  const runIds = await startWaiting(seeding, {
    segmentId: approval.segment_id,
    count: runs + 50,
    settleMs: 20,
  });
  await seeding.stop();

  const { store, calls } = counted(base);
  const engine = createEngine({ store });
  await engine.start();
  const open = await engine.listInteractions({ status: ['pending', 'notified'] });
  const byRun = new Map(open.map((i) => [i.runId, i.interactionId]));
  const started = new Map<string, (t: number) => void>();
  const completed = new Map<string, (t: number) => void>();
  const off = engine.onEvent(
    (e) => {
      if (e.type === 'step.started' && e.step_id === 'next') started.get(e.run_id)?.(performance.now());
      if (e.type === 'run.completed') completed.get(e.run_id)?.(performance.now());
    },
    { types: ['step.started', 'run.completed'] },
  );
  const toNext: number[] = [];
  const toEnd: number[] = [];
  const roundTrip: number[] = [];
  let callsPerAnswer = 0;
  for (let i = 0; i < runIds.length; i++) {
    const runId = runIds[i];
    const next = new Promise<number>((r) => started.set(runId, r));
    const end = new Promise<number>((r) => completed.set(runId, r));
    const r0 = performance.now();
    await base.getRun('default', runId);
    const r1 = performance.now();
    calls.clear();
    const t0 = performance.now();
    await engine.respond(byRun.get(runId)!, { action: 'approve', actor: { subject: 'alice' } });
    const tNext = await next;
    const tEnd = await end;
    // Let the lease go back before the next answer's count starts.
    await new Promise((r) => setImmediate(r));
    if (i >= 50) {
      toNext.push(tNext - t0);
      toEnd.push(tEnd - t0);
      roundTrip.push(r1 - r0);
      callsPerAnswer = Math.max(callsPerAnswer, total(calls));
    }
  }
  const perCall = Object.fromEntries(calls);
  off();
  await engine.stop();
  await base.close();
  for (const a of [toNext, toEnd, roundTrip]) a.sort((x, y) => x - y);
  return {
    answers: toNext.length,
    answerToNextStepMs: { p50: round(pct(toNext, 50)), p99: round(pct(toNext, 99)) },
    answerToRunCompletedMs: { p50: round(pct(toEnd, 50)), p99: round(pct(toEnd, 99)) },
    bareRoundTripMs: { p50: round(pct(roundTrip, 50)), p99: round(pct(roundTrip, 99)) },
    storeCallsPerAnswerToCompletion: callsPerAnswer,
    storeCallsOfLastAnswer: perCall,
  };
}

async function w4b(dir: string) {
  const path = join(dir, 'w4b.sqlite');
  const base = createSqliteStore({ path, synchronous: 'NORMAL' });
  await base.init();
  const { store, calls } = counted(base);
  const statements = countStatements(base);
  const engine = createEngine({ store });
  await engine.start();
  await engine.upsertSegment(approval);
  await startWaiting(engine, { segmentId: approval.segment_id, count: 500, settleMs: 20 });
  // The store calls of one startRun, until it returns.
  calls.clear();
  await engine.startRun({ segmentId: approval.segment_id, input: { n: -1 } });
  const startCalls = Object.fromEntries(calls);
  await new Promise((r) => setTimeout(r, 20));

  const t0 = performance.now();
  await startWaiting(engine, { segmentId: approval.segment_id, count: 3000, settleMs: 20 });
  const runsPerSecond = 3000 / ((performance.now() - t0) / 1000);

  const before = await dbBytes(base, path);
  const tablesBefore = await bytesByTable(base);
  const h0 = await heap();
  const rss0 = process.memoryUsage().rss;
  const s0 = statements();
  await startWaiting(engine, { segmentId: approval.segment_id, count: 10_000, settleMs: 20 });
  const statementsPerWaitingRun = (statements() - s0) / 10_000;
  const h1 = await heap();
  const rss1 = process.memoryUsage().rss;
  const after = await dbBytes(base, path);
  const byTable: Record<string, number> = {};
  for (const [name, bytes] of await bytesByTable(base)) {
    const grown = Math.round((bytes - (tablesBefore.get(name) ?? 0)) / 10_000);
    if (grown > 0) byTable[name] = grown;
  }
  await engine.stop();
  await base.close();
  return {
    runsPerSecond: Math.round(runsPerSecond),
    storeCallsPerStartRun: Object.values(startCalls).reduce((a, b) => a + b, 0),
    storeCallsOfStartRun: startCalls,
    waiting10k: {
      heapGrowthMB: gc ? round((h1 - h0) / 2 ** 20, 1) : 'run with --expose-gc',
      rssGrowthMB: round((rss1 - rss0) / 2 ** 20, 1),
      dbMB: round(after / 2 ** 20, 1),
      dbBytesPerWaitingRun: Math.round((after - before) / 10_000),
      dbBytesPerWaitingRunByTable: byTable,
      statementsPerWaitingRun: Math.round(statementsPerWaitingRun * 100) / 100,
    },
  };
}

async function w5(dir: string, label: string, bytes: number, runs: number) {
  const path = join(dir, `w5-${label}.sqlite`);
  const store = createSqliteStore({ path, synchronous: 'NORMAL' });
  await store.init();
  const engine = createEngine({ store, stepTypes: [bump] });
  await engine.start();
  await engine.upsertSegment(chain);
  const input = { counter: 0, payload: 'x'.repeat(bytes) };
  const once = async () => {
    const run = await engine.startRun({ segmentId: chain.segment_id, input });
    const end = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    if (end.status !== 'completed') throw new Error(`W5 run ${end.status}`);
  };
  await once();
  const before = await dbBytes(store, path);
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await once();
  const micros = ((performance.now() - t0) * 1000) / (runs * 10);
  const after = await dbBytes(store, path);
  await engine.stop();
  await store.close();
  return { microsPerStep: Math.round(micros), dbBytesPerRun: Math.round((after - before) / runs) };
}

/** W4a, W4b and W5 on SQLite, each figure beside its target. */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-w4-'));
  try {
    const normal = await w4a(dir, 'NORMAL');
    const full = await w4a(dir, 'FULL');
    const start = await w4b(dir);
    const kb = await w5(dir, '1k', 1024, 100);
    const hundred = await w5(dir, '100k', 100 * 1024, 30);
    const mb = await w5(dir, '1m', 1024 * 1024, 8);
    return {
      w4aAnswerToNextStep: {
        normal,
        full,
        target: 'NORMAL p50 <= 0.45 ms, p99 <= 2 ms',
      },
      w4bStartToWaiting: {
        ...start,
        target: '>= 2700 runs/s, <= 2 store calls per startRun, <= 1024 B per waiting run',
      },
      w5Chain: {
        '1KB': kb,
        '100KB': hundred,
        '1MB': mb,
        target: '1 MB state: <= 1.3 MB per 10-step run',
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
