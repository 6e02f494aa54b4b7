import {
  createEngine,
  type Engine,
  MemoryStore,
  type SegmentDefinition,
  StepCatalog,
  validateSegment,
} from '@llmteam/core';
import { useOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import plugin from './index.js';

const llm = useOpenAiTestServer({ beforeAll, afterAll, beforeEach });

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 50 });
});

const agent = (config: Record<string, unknown>): SegmentDefinition => ({
  segment_id: 'bad',
  steps: [
    {
      step_id: 'price',
      step_type: 'llm_agent',
      config: { provider: 'local', model: 'gpt-test', prompt: '"Price " & id', ...config },
    },
  ],
  edges: [],
});

async function failedStep(config: Record<string, unknown>) {
  const engine = createEngine({
    store: new MemoryStore(),
    plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
  });
  engine.actions.defineFunction('check_inventory', async () => ({ available: true }));
  engines.push(engine);
  await engine.start();
  const run = await engine.startRun({ segment: agent(config), input: { id: 'A1' } });
  const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
  expect(done.status).toBe('failed');
  const [step] = await engine.store.getSteps('default', run.runId);
  const events = (await engine.store.listEvents('default', run.runId)).map((e) => e.type);
  return { error: step?.error, checkpoint: step?.checkpoint, events };
}

describe('bad input to an llm_agent step', () => {
  test('validation names a prompt that does not parse and schemas that do not compile, by path', () => {
    const { problems } = validateSegment(
      agent({
        prompt: '"Price " & (',
        output_schema: { type: 'nonsense' },
        tools: [
          { action: 'check_inventory', parameters: { type: 'object', properties: { sku: { type: 7 } } } },
        ],
      }),
      new StepCatalog(),
    );
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        '$.steps[0].config.prompt',
        '$.steps[0].config.output_schema',
        '$.steps[0].config.tools[0].parameters',
      ]),
    );
  });

  test('an unknown provider or an unregistered tool fails the step at its start, naming the field; no model call', async () => {
    const provider = await failedStep({ provider: 'nowhere' });
    expect(provider.error).toMatchObject({
      code: 'LLMT_E_AGENT_CONFIG',
      message: expect.stringContaining('llm_agent step "price", config.provider: no LLM provider "nowhere"'),
    });
    const tool = await failedStep({ tools: [{ action: 'check_inventory' }, { action: 'erase_disk' }] });
    expect(tool.error).toMatchObject({
      code: 'LLMT_E_AGENT_CONFIG',
      message: expect.stringContaining('config.tools[1].action: no action "erase_disk"'),
    });
    expect(llm.calls).toBe(0);
  });

  test('a prompt that fails to evaluate names config.prompt', async () => {
    const { error } = await failedStep({ prompt: '$error("no price list")' });
    expect(error).toMatchObject({
      code: 'LLMT_E_EXPRESSION',
      message: expect.stringContaining('config.prompt'),
    });
    expect(llm.calls).toBe(0);
  });

  test('an unknown model is the provider error, named for the step and config.model, and not retried', async () => {
    llm.script({ status: 404, message: 'The model `gpt-nope` does not exist' });
    const { error } = await failedStep({ model: 'gpt-nope' });
    expect(error).toMatchObject({
      code: 'LLMT_E_LLM_BAD_REQUEST',
      message: expect.stringContaining('llm_agent step "price", config.model "gpt-nope"'),
    });
    expect(llm.calls).toBe(1);
  });

  test('a model that calls an unknown tool fails the step before its answer is committed', async () => {
    llm.script({ toolCalls: [{ name: 'erase_disk', arguments: {} }] });
    const { error, checkpoint, events } = await failedStep({ tools: [{ action: 'check_inventory' }] });
    expect(error).toMatchObject({
      code: 'LLMT_E_AGENT_UNKNOWN_TOOL',
      message: expect.stringContaining('llm_agent step "price", config.tools: the model called "erase_disk"'),
    });
    expect(checkpoint).toBeUndefined();
    expect(events).not.toContain('model.call.completed');
    expect(events).not.toContain('tool.call.completed');
  });
});
