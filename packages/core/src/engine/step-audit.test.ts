import { expect, test } from 'vitest';
import { createEngine, defineStepType, MemoryStore } from '../index.js';

// A step type that audits what it decided, once in its outcome and once in a checkpoint.
const decide = defineStepType({
  type: 'audited_decision',
  displayName: 'Audited decision',
  category: 'UTILITY',
  configSchema: { type: 'object' },
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  async handler(ctx) {
    if (!ctx.checkpointed)
      await ctx.checkpoint(
        { step: 1 },
        { audit: [{ action: 'step.signalled', actor: 'agent:decide', target: ctx.stepId }] },
      );
    ctx.audit({ action: 'step.resumed', actor: 'agent:decide', target: ctx.stepId });
    return { output: 'done' };
  },
});

test('a handler appends audit entries with its outcome (ctx.audit) and with a checkpoint', async () => {
  const store = new MemoryStore();
  const engine = createEngine({ store, stepTypes: [decide] });
  await engine.start();
  const run = await engine.startRun({
    segment: {
      segment_id: 'audited',
      steps: [{ step_id: 'decide', step_type: 'audited_decision' }],
      edges: [],
    },
  });
  await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
  const entries = (await store.listAudit('default')).filter((a) => a.actor === 'agent:decide');
  expect(entries.map((a) => [a.action, a.runId, a.target])).toEqual([
    ['step.signalled', run.runId, 'decide'],
    ['step.resumed', run.runId, 'decide'],
  ]);
  await engine.stop();
});
