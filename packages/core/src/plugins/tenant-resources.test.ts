import { describe, expect, test } from 'vitest';
import { createEngine, definePlugin, defineStepType, MemoryStore, type StepContext } from '../index.js';

/** Records what a step sees of its runtime context. */
function probe(seen: Record<string, unknown>) {
  return defineStepType({
    type: 'probe_resources',
    displayName: 'Probe',
    category: 'UTILITY',
    configSchema: { type: 'object' },
    permissions: { secrets: ['erp_token'] },
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    async handler(ctx: StepContext) {
      const r = ctx.resources;
      let mutated = true;
      try {
        (r.clients as Record<string, unknown>).injected = 'x';
      } catch {
        mutated = false;
      }
      seen[ctx.tenantId] = {
        llms: Object.keys(r.llms).sort(),
        crm: r.clients.crm,
        token: await ctx.secrets.get('erp_token').catch((e: { code: string }) => e.code),
        mutated,
      };
      return { output: null };
    },
  });
}

const provider = (name: string) => ({
  name,
  chat: async () => ({
    content: name,
    toolCalls: [],
    finishReason: 'stop' as const,
    usage: { inputTokens: 1, outputTokens: 1 },
  }),
});

const acmePlugin = definePlugin({
  name: 'acme-resources',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  setup(api) {
    // A plugin scoped to a tenant registers as usual; everything lands on that tenant.
    api.registerLlmProvider(provider('private'));
    api.registerResource('clients', 'crm', 'acme-crm');
    api.registerSecretsProvider({ get: async (name) => (name === 'erp_token' ? 'acme-token' : undefined) });
  },
});

const SEGMENT = { segment_id: 'probe', steps: [{ step_id: 'p', step_type: 'probe_resources' }], edges: [] };

describe('runtime context per tenant', () => {
  test("a tenant's steps resolve its own resources over the engine-wide ones; another tenant's never", async () => {
    const seen: Record<string, unknown> = {};
    const engine = createEngine({
      store: new MemoryStore(),
      stepTypes: [probe(seen)],
      secrets: { get: async () => undefined },
      resources: { llms: { shared: provider('shared') }, clients: { crm: 'shared-crm' } },
      tenantResources: { beta: { llms: { beta_only: provider('beta_only') } } },
      plugins: [{ plugin: acmePlugin, tenantId: 'acme' }],
      tenancy: { implicitTenants: true },
    });
    await engine.start();
    for (const tenantId of ['acme', 'beta', 'other']) {
      const tenant = engine.forTenant(tenantId, { subject: 'ops' });
      await tenant.upsertSegment(SEGMENT);
      const run = await tenant.startRun({ segmentId: 'probe' });
      await engine.waitForRun(run.runId, { tenantId, until: ['completed', 'failed'] });
    }
    // Registered later, by code: reaches only that tenant's next steps.
    engine.tenantResources.registrar('other').registerResource('clients', 'crm', 'other-crm');
    const other = engine.forTenant('other', { subject: 'ops' });
    const again = await other.startRun({ segmentId: 'probe' });
    await engine.waitForRun(again.runId, { tenantId: 'other', until: ['completed', 'failed'] });
    await engine.stop();

    expect(seen).toEqual({
      acme: { llms: ['private', 'shared'], crm: 'acme-crm', token: 'acme-token', mutated: false },
      beta: {
        llms: ['beta_only', 'shared'],
        crm: 'shared-crm',
        token: 'LLMT_E_SECRET_NOT_FOUND',
        mutated: false,
      },
      other: { llms: ['shared'], crm: 'other-crm', token: 'LLMT_E_SECRET_NOT_FOUND', mutated: false },
    });
    // The engine-wide resources were not touched by any step.
    expect(Object.keys(engine.resources.clients)).toEqual(['crm']);
  });

  test('forTenant refuses an empty tenant id with a typed error', () => {
    const engine = createEngine({ store: new MemoryStore() });
    expect(() => engine.tenantResources.registrar('')).toThrow(/LLMT_E_INVALID_ARGUMENT|tenantId/);
  });
});
