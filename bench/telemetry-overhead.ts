/**
 * Tracing and metrics on vs off, in the same process, on SQLite files (synchronous FULL).
 *
 * Two engines run the same 10-step chain (nine pass-through steps and one action step
 * calling a function action), each on its own SQLite file. `off`: no tracer provider (the
 * global no-op) and no metrics. `on`: the gateway's tracer provider (`createTracing`: the
 * engine's DurableIdGenerator, ParentBased sampling, a BatchSpanProcessor) with an exporter
 * that counts spans instead of sending them, plus the gateway's Prometheus metrics fed from
 * the engine's events and the store's commit timing. Rounds alternate between the two, so
 * drift on a shared machine hits both alike. Target: `overheadPct` < 5 (time per persisted
 * step), also reported without disk (MemoryStore) for the absolute cost. On a loaded machine the wall and process CPU figures (the latter include SQLite's
 * threads and fsync) swing by more than the target; `addedMainThreadUsPerStep` (event-loop
 * busy time, where tracing and metrics do all their work) is the steadier measure of what
 * they add, and `addedMainThreadPctOfStep` relates it to the time of a persisted step.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createEngine, type Engine, MemoryStore, type SegmentDefinition, type Store } from '@llmteam/core';
import { createLogger, createTracing, GatewayMetrics, withCommitTiming } from '@llmteam/gateway';
import { SqliteStore } from '@llmteam/store-sqlite';
import { mean, r2 } from './store-chain.js';
import { passThrough } from './workloads-segments.js';

const STEPS = 10;
const segment: SegmentDefinition = {
  segment_id: 'traced_chain',
  steps: Array.from({ length: STEPS }, (_, i) =>
    i === 4
      ? { step_id: `s${i}`, step_type: 'action', config: { action: 'reserve' } }
      : { step_id: `s${i}`, step_type: 'bench_pass' },
  ),
  edges: Array.from({ length: STEPS - 1 }, (_, i) => ({ source_step: `s${i}`, target_step: `s${i + 1}` })),
};

interface Side {
  engine: Engine;
  wall: number[];
  cpu: number[];
  /** Main-thread busy time per step (event loop utilisation), in µs. */
  busy: number[];
}

async function side(
  store: Store,
  traced: boolean,
  exported: { spans: number },
): Promise<Side & { close(): Promise<void> }> {
  const logger = createLogger({ level: 'silent' });
  const tracing =
    traced && process.env.BENCH_NO_TRACING !== '1'
      ? createTracing({ serviceName: 'bench' }, logger, {
          export(spans, done) {
            exported.spans += spans.length;
            done({ code: 0 });
          },
          shutdown: async () => undefined,
        })
      : undefined;
  const engine = createEngine({
    store: traced ? withCommitTiming(store) : store,
    logger,
    stepTypes: [passThrough],
    ...(tracing ? { telemetry: { tracerProvider: tracing.provider } } : {}),
  });
  engine.actions.defineFunction('reserve', (input) => ({ reserved: input }));
  const metrics = traced && process.env.BENCH_NO_METRICS !== '1' ? new GatewayMetrics(engine) : undefined;
  await engine.start();
  await engine.upsertSegment(segment);
  return {
    engine,
    wall: [],
    cpu: [],
    busy: [],
    async close() {
      metrics?.close();
      await engine.stop();
      await tracing?.shutdown();
      await store.close();
    },
  };
}

/** One run of the chain; returns its wall time per step, in µs. */
async function once(s: Side, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  const run = await s.engine.startRun({ segmentId: 'traced_chain', input: { n } });
  const done = await s.engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
  if (done.status !== 'completed') throw new Error(`bench run ${run.runId} ended ${done.status}`);
  return Number(process.hrtime.bigint() - start) / 1000 / STEPS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs both sides alternately on stores from `makeStore`; returns the figures. */
async function compare(makeStore: (name: string) => Store, runs: number): Promise<Record<string, number>> {
  const exported = { spans: 0 };
  const off = await side(makeStore('off'), false, exported);
  const on = await side(makeStore('on'), true, exported);
  let closed = false;
  try {
    for (let i = 0; i < 20; i++) {
      await once(off, i);
      await once(on, i);
    }
    // Runs alternate one by one, so load on a shared machine hits both sides alike; the
    // medians of the per-run times are compared (a run stalled by another process does not
    // decide the figure).
    for (let i = 0; i < runs; i++) {
      for (const s of i % 2 ? [on, off] : [off, on]) {
        const cpu0 = process.cpuUsage();
        const elu0 = performance.eventLoopUtilization();
        s.wall.push(await once(s, i));
        const cpu = process.cpuUsage(cpu0);
        s.busy.push((performance.eventLoopUtilization(elu0).active * 1000) / STEPS);
        s.cpu.push((cpu.user + cpu.system) / STEPS);
      }
    }
    // Shutting the provider down exports what is still batched.
    await on.close();
    closed = true;
    return {
      offUsPerStepMedian: r2(median(off.wall)),
      onUsPerStepMedian: r2(median(on.wall)),
      overheadPct: r2((median(on.wall) / median(off.wall) - 1) * 100),
      offCpuUsPerStep: r2(mean(off.cpu)),
      onCpuUsPerStep: r2(mean(on.cpu)),
      cpuOverheadPct: r2((mean(on.cpu) / mean(off.cpu) - 1) * 100),
      offMainThreadUsPerStep: r2(median(off.busy)),
      onMainThreadUsPerStep: r2(median(on.busy)),
      addedMainThreadUsPerStep: r2(median(on.busy) - median(off.busy)),
      addedMainThreadPctOfStep: r2(((median(on.busy) - median(off.busy)) / median(off.wall)) * 100),
      spansPerRun: r2(exported.spans / (runs + 20)),
    };
  } finally {
    if (!closed) await on.close();
    await off.close();
  }
}

/** Runs the benchmark; returns a JSON-able report. */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-bench-otel-'));
  const runs = Number(process.env.BENCH_RUNS ?? 300);
  try {
    return {
      runsPerSide: runs,
      sqlite: await compare((name) => new SqliteStore({ path: join(dir, `${name}.sqlite`) }), runs),
      // The same work without disk: what tracing and metrics cost in absolute terms.
      memory: await compare(() => new MemoryStore(), runs * 4),
      target: { 'sqlite.overheadPct': '< 5' },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  console.log(JSON.stringify(await run(), null, 2));
