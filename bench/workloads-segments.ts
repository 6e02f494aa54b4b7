/**
 * Segments and step types of the engine benchmarks (no `run()`: the runner skips this file):
 * a chain of pass-through steps and a split -> 8 x 5 ms -> join fan-out.
 */
import { defineStepType, type SegmentDefinition } from '@llmteam/core';

/** `bench_pass`: writes its input to `output`. */
export const passThrough = defineStepType({
  type: 'bench_pass',
  displayName: 'Pass through',
  category: 'UTILITY',
  configSchema: { type: 'object' },
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  handler: (ctx) => ({ output: ctx.input }),
});

/** `bench_sleep`: writes its input to `output` after 5 ms. */
export const sleeper = defineStepType({
  type: 'bench_sleep',
  displayName: 'Sleep 5 ms',
  category: 'UTILITY',
  configSchema: { type: 'object' },
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  handler: (ctx) => new Promise((resolve) => setTimeout(() => resolve({ output: ctx.input }), 5)),
});

/** The step types the workload segments use. */
export const benchStepTypes = [passThrough, sleeper];

/** `length` steps of `type` in a row (`s0` -> `s1` -> ...), as segment `segmentId`. */
export function chain(length: number, type = 'bench_pass', segmentId = `chain_${type}`): SegmentDefinition {
  const steps = Array.from({ length }, (_, i) => ({ step_id: `s${i}`, step_type: type }));
  const edges = steps.slice(1).map((s, i) => ({ source_step: `s${i}`, target_step: s.step_id }));
  return { segment_id: segmentId, version: '1.0.0', steps, edges };
}

/** `bench_chain`: ten pass-through steps in a row. */
export const chainSegment: SegmentDefinition = chain(10, 'bench_pass', 'bench_chain');

const branches = Array.from({ length: 8 }, (_, i) => `b${i}`);

/** `bench_fan`: parallel_split -> 8 steps that sleep 5 ms -> parallel_join (mode all). */
export const fanOutSegment: SegmentDefinition = {
  segment_id: 'bench_fan',
  version: '1.0.0',
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
};
