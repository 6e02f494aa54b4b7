import { createEngine, defineStepType, MemoryStore, type SegmentDefinition } from '@llmteam/core';

function chain(length: number, type: string): SegmentDefinition {
  const steps = Array.from({ length }, (_, i) => ({ step_id: `s${i}`, step_type: type }));
  const edges = steps.slice(1).map((s, i) => ({ source_step: `s${i}`, target_step: s.step_id }));
  return { segment_id: `chain_${type}`, steps, edges };
}

const passThrough = defineStepType({
  type: 'bench_pass',
  displayName: 'Pass through',
  category: 'UTILITY',
  configSchema: { type: 'object' },
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  handler: (ctx) => ({ output: ctx.input }),
});

const sleeper = defineStepType({
  type: 'bench_sleep',
  displayName: 'Sleep 5 ms',
  category: 'UTILITY',
  configSchema: { type: 'object' },
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  handler: (ctx) => new Promise((resolve) => setTimeout(() => resolve({ output: ctx.input }), 5)),
});

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

  const engine = createEngine({ store: new MemoryStore(), stepTypes: [sleeper, passThrough] });
  const branches = Array.from({ length: 8 }, (_, i) => `b${i}`);
  await engine.upsertSegment({
    segment_id: 'fan',
    steps: [
      { step_id: 'split', step_type: 'parallel_split', outputs: branches.map((b) => ({ port_id: b })) },
      ...branches.map((b) => ({ step_id: b, step_type: 'bench_sleep' })),
      {
        step_id: 'join',
        step_type: 'parallel_join',
        inputs: branches.map((b) => ({ port_id: b })),
        config: { mode: 'all' },
      },
    ],
    edges: [
      ...branches.map((b) => ({ source_step: 'split', source_port: b, target_step: b })),
      ...branches.map((b) => ({ source_step: b, target_step: 'join', target_port: b })),
    ],
  });
  const walls: number[] = [];
  for (let i = 0; i < 120; i++) {
    const t0 = performance.now();
    const r = await engine.startRun({ segmentId: 'fan', input: i });
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
