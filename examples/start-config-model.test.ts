import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryStore, silentLogger } from '@llmteam/core';
import { createRuntime, loadConfig, type Runtime } from '@llmteam/gateway';
import { type LlmTestServer, startOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { orderPipelineModel } from './order-pipeline-model.js';

const examples = fileURLToPath(new URL('./', import.meta.url));
let llm: LlmTestServer;
let runtime: Runtime | undefined;
beforeAll(async () => {
  llm = await startOpenAiTestServer({ fallback: orderPipelineModel });
});
afterAll(async () => {
  await runtime?.close();
  await llm.close();
});

test('the examples config calls the server in OPENAI_BASE_URL with the key in OPENAI_API_KEY', async () => {
  process.env.OPENAI_BASE_URL = llm.url;
  process.env.OPENAI_API_KEY = 'sk-example-test';
  process.env.OPENAI_MODEL = 'gpt-example';
  const loaded = await loadConfig({ file: join(examples, 'llmteam.config.ts') });
  runtime = await createRuntime({ loaded, logger: silentLogger, store: new MemoryStore() });
  await runtime.engine.start();
  const segment = JSON.parse(readFileSync(join(examples, 'segments', 'order-pipeline.json'), 'utf8'));
  const run = await runtime.engine.startRun({
    segment,
    input: { customer: 'acme', items: [{ sku: 'widget', qty: 3 }] },
  });
  const done = await runtime.engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
  expect(done.outputs).toMatchObject({
    execute: { status: 'created', order_id: expect.stringMatching(/^ord-/) },
  });
  expect(llm.requests.map((r) => [r.headers.authorization, r.body.model])).toEqual(
    Array(5).fill(['Bearer sk-example-test', 'gpt-example']),
  );
});
