/**
 * Per-tenant fairness: a quiet tenant's step latency alone, and while a noisy tenant runs
 * 500 runs at once (its `concurrent_runs` limit; a finished run is replaced at once), on
 * MemoryStore and on a SQLite file.
 *
 * Steps take 10 ms (a timer, like a model call). The quiet tenant runs 5-step chains, one
 * run at a time; the noisy tenant 40-step chains, so its load is steps rather than run
 * starts. A quiet step's latency is from the moment it became ready (its run started, or
 * the step before it completed) to its completion, from the stored events. `noise` uses
 * the engine's default `maxConcurrentSteps`; `noise_unlimited` sets it to `Infinity`
 * (every step starts as it becomes ready, as before slots), for comparison. Target: quiet
 * p50 and p99 under noise within 2x of alone (`ratio_p50`, `ratio_p99` <= 2).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createEngine, defineStepType, type Engine, MemoryStore, type Store } from '@llmteam/core';
import { SqliteStore } from '@llmteam/store-sqlite';
import { chain } from './workloads-segments.js';

const STEPS = 5;
const NOISY_STEPS = 40;
const NOISY_RUNS = 500;
const QUIET_RUNS = 40;

/** `bench_io`: writes its input to `output` after 10 ms. */
const io = defineStepType({
  type: 'bench_io',
  displayName: 'Wait 10 ms',
  category: 'UTILITY',
  configSchema: { type: 'object' },
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  handler: (ctx) => new Promise((resolve) => setTimeout(() => resolve({ output: ctx.input }), 10)),
});

/** Step latencies (ms) of one quiet run: ready (run start or previous completion) to completion. */
async function quietRun(engine: Engine): Promise<number[]> {
  const quiet = engine.forTenant('quiet');
  const run = await quiet.startRun({ segmentId: 'chain_bench_io', input: 1 });
  await engine.waitForRun(run.runId, { tenantId: 'quiet', until: ['completed', 'failed'] });
  const events = await quiet.listEvents(run.runId);
  let ready = Date.parse(events.find((e) => e.type === 'run.started')!.timestamp);
  const out: number[] = [];
  for (const e of events) {
    if (e.type !== 'step.completed') continue;
    const at = Date.parse(e.timestamp);
    out.push(at - ready);
    ready = at;
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function measure(
  store: Store,
  noise: boolean,
  maxConcurrentSteps?: number,
): Promise<{ p50: number; p99: number; noisy_steps_per_s?: number }> {
  const engine = createEngine({
    store,
    stepTypes: [io],
    tenancy: { implicitTenants: true },
    audit: { checkpointEvery: 0 },
    ...(maxConcurrentSteps !== undefined ? { maxConcurrentSteps } : {}),
  });
  await engine.start();
  const segment = chain(STEPS, 'bench_io');
  await engine.forTenant('quiet').upsertSegment(segment);
  await engine.tenants.create({
    tenantId: 'noisy',
    name: 'Noisy',
    tier: 'enterprise',
    limits: { concurrent_runs: NOISY_RUNS },
  });
  const noisy = engine.forTenant('noisy');
  // Long noisy runs: the noise is steps, not a stream of run starts.
  const long = chain(NOISY_STEPS, 'bench_io', 'noisy_chain');
  await noisy.upsertSegment(long);
  let stop = false;
  let noisySteps = 0;
  // One listener replaces each finished noisy run at once (500 waiters would cost more than the runs).
  const starting = new Set<Promise<unknown>>();
  const startNoisy = () => {
    const p = noisy.startRun({ segmentId: long.segment_id, input: 1 }).catch(() => undefined);
    starting.add(p);
    void p.finally(() => starting.delete(p));
  };
  const unsubscribe = store.subscribe((events) => {
    for (const e of events) {
      if (e.tenant_id !== 'noisy') continue;
      if (e.type === 'step.completed') noisySteps++;
      else if (e.type === 'run.completed' && !stop) startNoisy();
    }
  });
  if (noise) for (let i = 0; i < NOISY_RUNS; i++) startNoisy();
  // Let the noise reach its steady state, then warm the quiet tenant up.
  if (noise) await new Promise((r) => setTimeout(r, 1000));
  for (let i = 0; i < 3; i++) await quietRun(engine);
  const t0 = performance.now();
  const steps0 = noisySteps;
  const latencies: number[] = [];
  for (let i = 0; i < QUIET_RUNS; i++) latencies.push(...(await quietRun(engine)));
  const seconds = (performance.now() - t0) / 1000;
  const noisyRate = (noisySteps - steps0) / seconds;
  stop = true;
  await Promise.all([...starting]);
  unsubscribe();
  await engine.stop();
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ...(noise ? { noisy_steps_per_s: Math.round(noisyRate) } : {}),
  };
}

async function onStore(make: () => Promise<Store>): Promise<Record<string, unknown>> {
  const fresh = async () => {
    const store = await make();
    await store.init();
    return store;
  };
  const withStore = async <T>(fn: (s: Store) => Promise<T>) => {
    const store = await fresh();
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };
  const alone = await withStore((s) => measure(s, false));
  const noise = await withStore((s) => measure(s, true));
  const unlimited = await withStore((s) => measure(s, true, Number.POSITIVE_INFINITY));
  const ratio = (x: number, y: number) => Number((x / Math.max(1, y)).toFixed(2));
  return {
    quiet_alone_ms: alone,
    quiet_under_noise_ms: noise,
    quiet_under_noise_unlimited_ms: unlimited,
    ratio_p50: ratio(noise.p50, alone.p50),
    ratio_p99: ratio(noise.p99, alone.p99),
    ratio_p50_unlimited: ratio(unlimited.p50, alone.p50),
    ratio_p99_unlimited: ratio(unlimited.p99, alone.p99),
  };
}

/** Quiet-tenant step latency alone vs beside a noisy tenant, on MemoryStore and SQLite. */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-bench-fairness-'));
  let n = 0;
  try {
    return {
      workload: `${NOISY_RUNS} noisy runs at the tenant's limit; quiet: ${QUIET_RUNS} runs; ${STEPS}-step chains of 10 ms steps`,
      memory: await onStore(async () => new MemoryStore()),
      sqlite: await onStore(async () => new SqliteStore({ path: join(dir, `fair-${++n}.sqlite`) })),
      target: { ratio_p50: '<= 2', ratio_p99: '<= 2' },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(), null, 2));
  process.exit(0);
}
