import { describe, expect, test } from 'vitest';
import { createEngine, defineStepType, MemoryStore, type SegmentDefinition } from '../index.js';

// A type that declares two input ports and waits for a signal before it merges them.
const merge = defineStepType({
  type: 'merge_after_signal',
  displayName: 'Merge after a signal',
  category: 'UTILITY',
  configSchema: { type: 'object' },
  inputs: [{ port_id: 'state' }, { port_id: 'delta' }],
  outputs: [{ port_id: 'output' }],
  handler(ctx) {
    const { state, delta } = ctx.input as { state: { counter: number }; delta: number };
    if (ctx.resume === undefined) ctx.suspend({ waiting: true });
    return { output: { counter: state.counter + delta + (ctx.resume as number) } };
  },
});

// The merging step repeats neither its type's `inputs` nor its outputs.
const segment: SegmentDefinition = {
  segment_id: 'type_ports',
  steps: [
    { step_id: 'state', step_type: 'transform', config: { expression: '{ "counter": $.counter }' } },
    { step_id: 'delta', step_type: 'transform', config: { expression: '$.delta' } },
    { step_id: 'merge', step_type: 'merge_after_signal' },
  ],
  edges: [
    { source_step: 'state', target_step: 'merge', target_port: 'state' },
    { source_step: 'delta', target_step: 'merge', target_port: 'delta' },
  ],
};

describe("a step's ports default to its type's", () => {
  test('validation accepts edges into the ports its type declares, and refuses others', () => {
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [merge] });
    expect(engine.validate(segment).valid).toBe(true);
    const wrong = structuredClone(segment);
    (wrong.edges ?? [])[1].target_port = 'other';
    const result = engine.validate(wrong);
    expect(result.valid).toBe(false);
    expect(result.problems.map((p) => p.path)).toContain('$.edges[1].target_port');
  });

  test('the handler gets an object keyed by its type ports, on the first pass and on resume', async () => {
    const store = new MemoryStore();
    const engine = createEngine({ store, stepTypes: [merge] });
    const run = await engine.startRun({ segment, input: { counter: 1, delta: 10 } });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_action');
    // Another engine on the same store resumes it: the handler's inputs come from the store.
    const other = createEngine({ store, stepTypes: [merge] });
    await other.resumeStep(run.runId, 'merge', 100);
    const done = await other.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.error).toBeUndefined();
    expect(done.outputs).toEqual({ merge: { counter: 111 } });
  });
});
