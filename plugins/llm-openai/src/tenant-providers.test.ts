import { createEngine, MemoryStore } from '@llmteam/core';
import { useOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, expect, test } from 'vitest';
import plugin from './index.js';

const llm = useOpenAiTestServer({ beforeAll, afterAll }, { fallback: () => ({ text: 'answered' }) });

const agent = {
  segment_id: 'ask',
  steps: [{ step_id: 'ask', step_type: 'llm_agent', config: { provider: 'acme_llm', model: 'gpt-test' } }],
  edges: [],
};

test("a step of another tenant can never resolve a tenant's own LLM provider", async () => {
  const engine = createEngine({
    store: new MemoryStore(),
    // The same plugin, scoped to tenant acme by its config entry.
    plugins: [{ plugin, options: { name: 'acme_llm', baseUrl: llm.url }, tenantId: 'acme' }],
    tenancy: { implicitTenants: true },
  });
  await engine.start();
  const results: Record<string, unknown> = {};
  for (const tenantId of ['acme', 'beta']) {
    const tenant = engine.forTenant(tenantId, { subject: 'ops' });
    await tenant.upsertSegment(agent);
    const run = await tenant.startRun({ segmentId: 'ask', input: 'hello' });
    const done = await engine.waitForRun(run.runId, { tenantId, until: ['completed', 'failed'] });
    results[tenantId] = done.status === 'completed' ? done.outputs : done.error;
  }
  await engine.stop();
  expect(results.acme).toEqual({ ask: 'answered' });
  expect(results.beta).toMatchObject({ code: 'LLMT_E_AGENT_CONFIG' });
  expect((results.beta as { message: string }).message).toContain(
    'no LLM provider "acme_llm" is registered (registered: none)',
  );
  // Only acme's run reached the model.
  expect(llm.requests).toHaveLength(1);
});
