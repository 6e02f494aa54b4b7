import { describe, expect, test } from 'vitest';
import {
  createEngine,
  defineStepType,
  MemoryStore,
  type SegmentDefinition,
  type WorktrailEvent,
} from '../index.js';

const chain: SegmentDefinition = {
  segment_id: 'chain',
  steps: [
    { step_id: 'a', step_type: 'transform', config: { expression: '$ * 2' } },
    { step_id: 'b', step_type: 'transform', config: { expression: '$ + 1' } },
    { step_id: 'check', step_type: 'condition', config: { expression: '$ > 10' } },
    { step_id: 'big', step_type: 'transform', config: { expression: '"big " & $string($)' } },
    { step_id: 'small', step_type: 'transform', config: { expression: '"small " & $string($)' } },
  ],
  edges: [
    { source_step: 'a', target_step: 'b' },
    { source_step: 'b', target_step: 'check' },
    { source_step: 'check', source_port: 'true', target_step: 'big' },
    { source_step: 'check', source_port: 'false', target_step: 'small' },
  ],
};

async function collect(
  it: AsyncIterableIterator<WorktrailEvent>,
  until: (e: WorktrailEvent) => boolean,
): Promise<WorktrailEvent[]> {
  const out: WorktrailEvent[] = [];
  for await (const e of it) {
    out.push(e);
    if (until(e)) break;
  }
  return out;
}

describe('engine', () => {
  test('runs a segment to completion, routing a condition and skipping the untaken branch', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const run = await engine.startRun({ segment: chain, input: 7 });
    const done = await engine.waitForRun(run.runId);
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({ big: 'big 15' });
    const view = await engine.getRun(run.runId);
    expect(view!.steps.find((s) => s.stepId === 'small')!.status).toBe('skipped');
    const events = await collect(engine.events(run.runId), (e) => e.type === 'run.completed');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0].type).toBe('run.created');
  });

  test('suspends a step and resumes it with data', async () => {
    const engine = createEngine({
      store: new MemoryStore(),
      stepTypes: [
        defineStepType({
          type: 'wait_signal',
          displayName: 'Wait',
          category: 'UTILITY',
          configSchema: { type: 'object' },
          inputs: [{ port_id: 'input' }],
          outputs: [{ port_id: 'output' }],
          handler(ctx) {
            if (ctx.resume === undefined) ctx.suspend({ waiting: true });
            return { output: { got: ctx.resume, input: ctx.input } };
          },
        }),
      ],
    });
    const run = await engine.startRun({
      segment: { segment_id: 's', steps: [{ step_id: 'w', step_type: 'wait_signal' }] },
      input: 1,
    });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_action');
    await engine.resumeStep(run.runId, 'w', 'hello');
    const done = await engine.waitForRun(run.runId, { until: ['completed'] });
    expect(done.outputs).toEqual({ w: { got: 'hello', input: 1 } });
  });
});
