/**
 * Segments and step types of the engine workloads (no `run()`: the runner skips this file):
 * a 10-step chain of pass-through steps and a split -> 8 x 5 ms -> join fan-out.
 */
import { defineStepType, type SegmentDefinition } from '@llmteam/core';

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

/** The step types the workload segments use. */
export const benchStepTypes = [passThrough, sleeper];

const links = Array.from({ length: 10 }, (_, i) => ({ step_id: `s${i}`, step_type: 'bench_pass' }));

/** `bench_chain`: ten pass-through steps in a row. */
export const chainSegment: SegmentDefinition = {
  segment_id: 'bench_chain',
  version: '1.0.0',
  steps: links,
  edges: links.slice(1).map((s, i) => ({ source_step: `s${i}`, target_step: s.step_id })),
};

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
