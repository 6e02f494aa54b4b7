import { createEngine, MemoryStore } from '@llmteam/core';
import { expect, test } from 'vitest';

test('the README example produces the documented outputs', async () => {
  const engine = createEngine({ store: new MemoryStore() });
  await engine.start();
  const run = await engine.startRun({
    segment: {
      segment_id: 'greet',
      steps: [
        { step_id: 'shout', step_type: 'transform', config: { expression: '$uppercase(name)' } },
        { step_id: 'check', step_type: 'condition', config: { expression: '$length($) > 3' } },
      ],
      edges: [{ source_step: 'shout', target_step: 'check' }],
    },
    input: { name: 'ada lovelace' },
  });
  const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
  expect(done.outputs).toEqual({ check: { true: 'ADA LOVELACE' } });
  await engine.stop();
});
