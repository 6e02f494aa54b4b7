import { createEngine, MemoryStore } from '@llmteam/core';
import { benchStepTypes, chain, fanOutSegment, passThrough } from './workloads-segments.js';

/** Wall and CPU microseconds per step (CPU time is steadier on a shared machine). */
async function perStepMicros(input: unknown, runs: number): Promise<{ wall: number; cpu: number }> {
  const engine = createEngine({ store: new MemoryStore(), stepTypes: [passThrough] });
  await engine.upsertSegment(chain(10, 'bench_pass'));
  const once = async () => {
    const run = await engine.startRun({ segmentId: 'chain_bench_pass', input });
    await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
  };
  for (let i = 0; i < 3000; i++) await once();
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) await once();
  const cpu = process.cpuUsage(cpu0);
  const elapsed = Number(process.hrtime.bigint() - start) / 1000;
  return { wall: elapsed / (runs * 10), cpu: (cpu.user + cpu.system) / (runs * 10) };
}

/** Engine benchmarks on MemoryStore (issue targets in `target`). */
export async function run(): Promise<Record<string, unknown>> {
  const a = await perStepMicros({ n: 1 }, 2000);

  const engine = createEngine({ store: new MemoryStore(), stepTypes: benchStepTypes });
  await engine.upsertSegment(fanOutSegment);
  const walls: number[] = [];
  for (let i = 0; i < 120; i++) {
    const t0 = performance.now();
    const r = await engine.startRun({ segmentId: fanOutSegment.segment_id, input: i });
    await engine.waitForRun(r.runId, { until: ['completed', 'failed'] });
    if (i >= 20) walls.push(performance.now() - t0);
  }
  walls.sort((x, y) => x - y);
  const b = walls[Math.floor(walls.length / 2)];

  const big = { blob: 'x'.repeat(100 * 1024) };
  const c = await perStepMicros(big, 2000);
  return {
    a_chain10_us_per_step: Number(a.wall.toFixed(2)),
    a_chain10_cpu_us_per_step: Number(a.cpu.toFixed(2)),
    b_fanout8_wall_ms_p50: Number(b.toFixed(2)),
    b_overhead_ms_over_ideal_5ms: Number((b - 5).toFixed(2)),
    c_chain10_100kb_state_us_per_step: Number(c.wall.toFixed(2)),
    c_chain10_100kb_state_cpu_us_per_step: Number(c.cpu.toFixed(2)),
    c_ratio_to_a: Number((c.cpu / a.cpu).toFixed(2)),
    target: { a_us_per_step: '<= 10', b_overhead_ms: '<= 1', c_ratio_to_a: '<= 2' },
  };
}
