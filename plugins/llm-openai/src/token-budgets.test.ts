import {
  createEngine,
  type Engine,
  type EngineOptions,
  ManualClock,
  MemoryStore,
  runTokenUsage,
  type SegmentDefinition,
} from '@llmteam/core';
import { useOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import plugin from './index.js';

const llm = useOpenAiTestServer({ beforeAll, afterAll, beforeEach });

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 50 });
});

async function boot(options: Partial<EngineOptions> = {}) {
  const engine = createEngine({
    store: new MemoryStore(),
    plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
    ...options,
  });
  engine.actions.defineFunction('lookup', async () => ({ ok: true }));
  engines.push(engine);
  await engine.start();
  return engine;
}

const agent = (step_id: string, config: Record<string, unknown> = {}) => ({
  step_id,
  step_type: 'llm_agent',
  config: { provider: 'local', model: 'gpt-test', tools: [{ action: 'lookup' }], stream: false, ...config },
});
const one = (
  config: Record<string, unknown> = {},
  extra: Partial<SegmentDefinition> = {},
): SegmentDefinition => ({
  segment_id: 'budgeted',
  steps: [agent('a', config)],
  edges: [],
  ...extra,
});

describe('token budgets', () => {
  test("a step's token_budget stops the call that would pass it, naming the budget and the use", async () => {
    const engine = await boot();
    llm.script(
      {
        toolCalls: [{ id: 'c1', name: 'lookup', arguments: {} }],
        usage: { inputTokens: 30, outputTokens: 25 },
      },
      { text: 'never asked' },
    );
    const run = await engine.startRun({ segment: one({ token_budget: 50 }), input: {} });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('LLMT_E_TOKEN_BUDGET');
    expect(done.error?.message).toContain('token_budget 50 of the step: 55 of 50 tokens used');
    expect(llm.calls).toBe(1);
  });

  test("the segment's token_budget counts the calls of every step of the run", async () => {
    const engine = await boot();
    llm.script({ text: 'first', usage: { inputTokens: 40, outputTokens: 20 } }, { text: 'second' });
    const run = await engine.startRun({
      segment: {
        segment_id: 'two',
        token_budget: 50,
        steps: [agent('a'), { ...agent('b'), inputs: [{ port_id: 'input' }] }],
        edges: [{ source_step: 'a', source_port: 'output', target_step: 'b', target_port: 'input' }],
      },
      input: {},
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.error?.code).toBe('LLMT_E_TOKEN_BUDGET');
    expect(done.error?.message).toContain('llm_agent step "b", segment.token_budget');
    expect(done.error?.message).toContain('token_budget of segment "two": 60 of 50 tokens used');
    expect(llm.calls).toBe(1);
  });

  test('a tenant budget per day holds across runs and opens again the next day', async () => {
    const clock = new ManualClock('2026-03-02T10:00:00Z');
    const engine = await boot({
      clock,
      tokens: { tenantBudgets: { default: { tokens: 100, period: 'day' } } },
    });
    const runOnce = async () => {
      const run = await engine.startRun({ segment: one(), input: {} });
      return engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    };
    llm.script(
      { text: 'one', usage: { inputTokens: 50, outputTokens: 10 } },
      { text: 'two', usage: { inputTokens: 50, outputTokens: 10 } },
      { text: 'three' },
    );
    expect((await runOnce()).status).toBe('completed');
    expect((await runOnce()).status).toBe('completed');
    const refused = await runOnce();
    expect(refused.error?.code).toBe('LLMT_E_TOKEN_BUDGET');
    expect(refused.error?.message).toContain(
      'token budget of tenant "default" per day (since 2026-03-02T00:00:00.000Z): 120 of 100 tokens used',
    );
    expect(llm.calls).toBe(2);
    clock.advance(14 * 3600_000);
    expect((await runOnce()).status).toBe('completed');
    expect(llm.calls).toBe(3);
  });

  test('usage is summed per step and run from the stored calls, with a cost from the price table', async () => {
    const engine = await boot();
    llm.script(
      {
        toolCalls: [{ id: 'c1', name: 'lookup', arguments: {} }],
        usage: { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 400 },
      },
      { text: 'done', usage: { inputTokens: 2000, outputTokens: 100 } },
    );
    const run = await engine.startRun({ segment: one(), input: {} });
    await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    const usage = await runTokenUsage(engine.store, 'default', run.runId, {
      'gpt-test': { input: 2, output: 8, cached_input: 1 },
    });
    // (600 * 2 + 400 * 1 + 200 * 8) / 1e6 + (2000 * 2 + 100 * 8) / 1e6
    expect(usage.total).toEqual({
      inputTokens: 3000,
      outputTokens: 300,
      cachedTokens: 400,
      calls: 2,
      cost: 0.008,
    });
    expect(usage.steps.get('a')).toEqual(usage.total);
    const unpriced = await runTokenUsage(engine.store, 'default', run.runId);
    expect(unpriced.total.cost).toBeUndefined();
  });
});
