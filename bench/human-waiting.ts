/**
 * Runs waiting for a person: how much process memory a waiting run costs, and how fast an
 * answer gets the run going again. Run with `--expose-gc` (memory figures need it).
 *
 * - memory: N runs wait at a `human_task` at once. `totalBytesPerRun` is the heap growth
 *   per run (engine and store); `storeBytesPerRun` is what the store alone holds (the same
 *   store once the engine is stopped and dropped); `engineBytesPerRun` is the rest, minus
 *   the engine's fixed cost (`engineFixedBytes`: catalog, compiled schemas, caches), measured
 *   on an engine with no waiting run. Target: engine < 1 KB per waiting run.
 * - latency: time from `respond()` to the next step's `step.started` event, p50 / p99 over
 *   1,000 answers, one at a time. Targets: p99 < 2 ms in memory, < 5 ms on SQLite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEngine, type Engine, MemoryStore, type SegmentDefinition, type Store } from '@llmteam/core';
import { heap, startWaiting } from './waiting-runs.js';

const segment: SegmentDefinition = {
  segment_id: 'bench_wait',
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

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

interface Measured {
  runs: number;
  totalBytesPerRun?: number;
  storeBytesPerRun?: number;
  engineBytesPerRun?: number;
  engineFixedBytes?: number;
  driversWhileWaiting: number;
  activeResourcesWhileWaitingDelta: number;
  answerToNextStepMs: { p50: number; p99: number; max: number; answers: number };
  /** Process CPU time per answer (all threads, GC helpers included): not inflated by other processes, unlike wall time. */
  answerCpuMs: { p50: number; p99: number };
  respondCallMs: { p50: number; p99: number };
}

/** Heap an engine holds with no run: catalog, compiled schemas, caches. Subtracted from per-run figures. */
async function engineFixedBytes(makeStore: () => Store): Promise<number> {
  const store = makeStore();
  await store.init();
  let engine: Engine | undefined = createEngine({ store });
  await engine.start();
  await engine.upsertSegment(segment);
  await startWaiting(engine, { segmentId: 'bench_wait', count: 10 });
  const withEngine = await heap();
  await engine.stop();
  engine = undefined;
  const without = await heap();
  await store.close();
  return withEngine - without;
}

async function measure(makeStore: () => Store, runs: number, answers: number): Promise<Measured> {
  const fixed = await engineFixedBytes(makeStore);
  const store = makeStore();
  await store.init();
  const hBase = await heap();
  let engine: Engine | undefined = createEngine({ store });
  await engine.start();
  await engine.upsertSegment(segment);
  await startWaiting(engine, { segmentId: 'bench_wait', count: 10 });
  const resourcesBefore = process.getActiveResourcesInfo().length;
  const h0 = await heap();
  const runIds = await startWaiting(engine, { segmentId: 'bench_wait', count: runs });
  const h1 = await heap();
  const driversWhileWaiting = (engine as unknown as { drivers: Map<string, unknown> }).drivers.size;
  const activeResourcesWhileWaitingDelta = process.getActiveResourcesInfo().length - resourcesBefore;
  // The same records, held by the same store, with no engine: what the store itself costs.
  await engine.stop();
  engine = undefined;
  const h2 = await heap();

  // A fresh engine on the same store answers: the waiting runs hold nothing in the process.
  const answering = createEngine({ store });
  await answering.start();
  const startedAt = new Map<string, (t: number) => void>();
  const off = answering.onEvent(
    (e) => {
      if (e.step_id === 'next') startedAt.get(e.run_id)?.(performance.now());
    },
    { types: ['step.started'] },
  );
  const open = await answering.listInteractions({ status: ['pending', 'notified'] });
  const byRun = new Map(open.map((i) => [i.runId, i.interactionId]));
  const latencies: number[] = [];
  const calls: number[] = [];
  const cpu: number[] = [];
  const warmup = Math.min(100, Math.floor(runIds.length / 10));
  for (let i = 0; i < Math.min(answers + warmup, runIds.length); i++) {
    const runId = runIds[i];
    const next = new Promise<number>((r) => startedAt.set(runId, r));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await answering.respond(byRun.get(runId)!, { action: 'approve', actor: { subject: 'alice' } });
    const t1 = performance.now();
    const t2 = await next;
    const c1 = process.cpuUsage(c0);
    startedAt.delete(runId);
    if (i >= warmup) {
      latencies.push(t2 - t0);
      calls.push(t1 - t0);
      cpu.push((c1.user + c1.system) / 1000);
    }
  }
  off();
  await answering.stop();
  await store.close();
  latencies.sort((a, b) => a - b);
  calls.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    runs,
    totalBytesPerRun: gc ? round((h1 - h0) / runs, 1) : undefined,
    storeBytesPerRun: gc ? round((h2 - hBase) / runs, 1) : undefined,
    engineBytesPerRun: gc ? round((h1 - h2 - fixed) / runs, 1) : undefined,
    engineFixedBytes: gc ? fixed : undefined,
    driversWhileWaiting,
    activeResourcesWhileWaitingDelta,
    answerToNextStepMs: {
      p50: round(percentile(latencies, 50)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies[latencies.length - 1]),
      answers: latencies.length,
    },
    answerCpuMs: { p50: round(percentile(cpu, 50)), p99: round(percentile(cpu, 99)) },
    respondCallMs: { p50: round(percentile(calls, 50)), p99: round(percentile(calls, 99)) },
  };
}

type SqliteFactory = (options: { path: string; synchronous?: 'FULL' | 'NORMAL' }) => Store;

async function loadSqlite(): Promise<SqliteFactory | undefined> {
  const candidates = [
    '@llmteam/store-sqlite',
    new URL('../plugins/store-sqlite/src/index.ts', import.meta.url).href,
  ];
  for (const spec of candidates) {
    try {
      const mod = (await import(spec)) as { createSqliteStore?: SqliteFactory };
      if (typeof mod.createSqliteStore === 'function') return mod.createSqliteStore;
    } catch {
      // Not installed here: try the next place, or skip SQLite.
    }
  }
  return undefined;
}

/** Waiting runs on MemoryStore (and SQLite when `@llmteam/store-sqlite` is available). */
export async function run(): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {
    target: { engineBytesPerRun: '< 1024', answerToNextStepP99Ms: { memory: '< 2', sqlite: '< 5' } },
    gc: gc ? 'exposed' : 'missing: run node with --expose-gc for memory figures',
  };
  result.memory = await measure(() => new MemoryStore(), 10_000, 1000);
  const createSqliteStore = await loadSqlite();
  if (!createSqliteStore) {
    result.sqlite = { skipped: '@llmteam/store-sqlite is not available' };
    return result;
  }
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-bench-'));
  try {
    // FULL (the store's default) syncs the log on every commit; NORMAL only at checkpoints.
    result.sqlite = await measure(
      () => createSqliteStore({ path: join(dir, 'full.sqlite'), synchronous: 'FULL' }),
      10_000,
      1000,
    );
    result.sqliteSynchronousNormal = await measure(
      () => createSqliteStore({ path: join(dir, 'normal.sqlite'), synchronous: 'NORMAL' }),
      10_000,
      1000,
    );
  } catch (error) {
    result.sqlite = { error: (error as Error).message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}
