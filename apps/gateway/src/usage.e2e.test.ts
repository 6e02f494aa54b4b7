import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, MemoryStore } from '@llmteam/core';
import openAiPlugin from '@llmteam/llm-openai';
import { type LlmTestServer, startOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config.js';
import { createLogger } from './logger.js';
import { startTestGateway, type TestGateway } from './test-support.js';

describe('token usage in GraphQL', () => {
  let llm: LlmTestServer;
  let t: TestGateway;
  beforeAll(async () => {
    llm = await startOpenAiTestServer();
    const store = new MemoryStore();
    const engine = createEngine({
      store,
      logger: createLogger({ level: 'silent' }),
      pollIntervalMs: 50,
      plugins: [{ plugin: openAiPlugin, options: { name: 'local', baseUrl: llm.url } }],
      tokens: { prices: { 'gpt-test': { input: 1, output: 4 } } },
    });
    t = await startTestGateway({ engine, store });
  });
  afterAll(async () => {
    await t.close();
    await llm.close();
  });

  it('Run.usage, Step.usage and tenantUsage sum the stored model calls, with a cost estimate', async () => {
    const secret = await t.key('default', ['operator']);
    const steps = ['a', 'b'].map((id) => ({
      step_id: id,
      step_type: 'llm_agent',
      config: { provider: 'local', model: 'gpt-test', stream: false },
    }));
    await t.engine.upsertSegment({ segment_id: 'two', version: '1', steps, edges: [] });
    llm.script(
      { text: 'a', usage: { inputTokens: 1000, outputTokens: 100, cachedInputTokens: 200 } },
      { text: 'b', usage: { inputTokens: 3000, outputTokens: 500 } },
    );
    const started = await t.gql(secret, 'mutation { startRun(segmentId: "two") { id } }');
    const id = started.body.data.startRun.id as string;
    await t.engine.waitForRun(id, { until: ['completed', 'failed'] });
    const res = await t.gql(
      secret,
      'query($id: ID!) { run(id: $id) { usage { inputTokens outputTokens cachedTokens calls cost } steps { stepId usage { inputTokens outputTokens calls cost } } } tenantUsage { inputTokens outputTokens calls cost } }',
      { id },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.run.usage).toEqual({
      inputTokens: 4000,
      outputTokens: 600,
      cachedTokens: 200,
      calls: 2,
      cost: 0.0064,
    });
    // The two steps run in parallel: which one got which reply is not fixed.
    const perStep = (res.body.data.run.steps as Array<{ usage: { inputTokens: number } }>)
      .map((s) => s.usage)
      .sort((x, y) => x.inputTokens - y.inputTokens);
    expect(perStep).toEqual([
      { inputTokens: 1000, outputTokens: 100, calls: 1, cost: 0.0014 },
      { inputTokens: 3000, outputTokens: 500, calls: 1, cost: 0.005 },
    ]);
    expect(res.body.data.tenantUsage).toEqual({
      inputTokens: 4000,
      outputTokens: 600,
      calls: 2,
      cost: 0.0064,
    });
  });

  it('refuses an llm section that does not fit, naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmteam-llm-config-'));
    try {
      writeFileSync(
        join(dir, 'llmteam.config.json'),
        JSON.stringify({ llm: { tenant_budgets: { acme: { tokens: 1000, period: 'fortnight' } } } }),
      );
      await expect(loadConfig({ cwd: dir })).rejects.toMatchObject({
        code: 'LLMT_E_GW_CONFIG',
        message: expect.stringContaining('llm.tenant_budgets.acme.period'),
      });
      writeFileSync(
        join(dir, 'llmteam.config.json'),
        JSON.stringify({ llm: { prices: { m: { input: 'x' } } } }),
      );
      await expect(loadConfig({ cwd: dir })).rejects.toMatchObject({
        message: expect.stringContaining('llm.prices.m.input'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
