import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryStore, silentLogger } from '@llmteam/core';
import { type Served, serve } from '@llmteam/gateway';
import { afterAll, expect, test } from 'vitest';

const examples = fileURLToPath(new URL('./', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'llmteam-example-config-'));
let served: Served | undefined;
afterAll(async () => {
  await served?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('with no OPENAI_* variable, the examples load and an agent run fails with a typed error naming the key; the gateway keeps serving', async () => {
  delete process.env.OPENAI_BASE_URL;
  delete process.env.OPENAI_API_KEY;
  served = await serve({
    config: join(examples, 'llmteam.config.ts'),
    cwd: dir,
    dataDir: dir,
    port: 0,
    logger: silentLogger,
    store: new MemoryStore(),
    bootstrapApiKey: 'llmt_example-config-test-key-0123456789',
    segmentsDir: join(examples, 'segments'),
  });
  expect(served.segments).toContain('order_pipeline');
  // Every example registers, an agent after the segments its tools name (files in name order).
  expect(served.segments).toEqual(
    expect.arrayContaining([
      'brief_copy',
      'brief_research',
      'product_brief',
      'support_billing',
      'support_desk',
      'newsletter_writer_a',
      'newsletter_writer_b',
      'newsletter',
    ]),
  );
  expect(served.segments).toHaveLength(
    readdirSync(join(examples, 'segments')).filter((f) => f.endsWith('.json')).length,
  );
  const engine = served.runtime.engine;
  const run = await engine.startRun({
    segmentId: 'order_pipeline',
    input: { customer: 'acme', items: [{ sku: 'widget', qty: 2 }] },
  });
  const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
  expect(done.status).toBe('failed');
  expect(done.error).toMatchObject({
    code: 'LLMT_E_OPENAI_API_KEY',
    message: expect.stringContaining('the secret "openai_api_key" (apiKeySecret) has no value'),
  });
  expect((await fetch(served.gateway.url.replace('/graphql', '/healthz'))).status).toBe(200);
});
