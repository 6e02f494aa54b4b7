import { afterEach, describe, expect, test } from 'vitest';
import { defineStepType } from '../catalog/types.js';
import { createEngine } from '../create-engine.js';
import type { Engine } from '../index.js';
import { definePlugin } from '../plugins/define-plugin.js';
import { MemoryStore } from '../store/memory-store.js';
import { SECRET_PLACEHOLDER } from './secret-redactor.js';

const CANARY = `vault-canary-${Math.random().toString(36).slice(2)}`;
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
});

/** A step type that reads a secret and fails with it in its message and details. */
const leaky = defineStepType({
  type: 'leaky',
  displayName: 'Leaky',
  category: 'UTILITY',
  configSchema: { type: 'object' },
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  permissions: { secrets: ['api_token', 'absent'] },
  async handler(ctx) {
    const name = (ctx.config as { secret?: string }).secret ?? 'api_token';
    const token = await ctx.secrets.get(name);
    ctx.logger.info({ token, header: `Bearer ${token}` }, `calling with ${token}`);
    throw new Error(`server refused token ${token} (${Buffer.from(`user:${token}`).toString('base64')})`);
  },
});

/** A vault-style plugin: a named provider that answers from its own map. */
const vault = definePlugin({
  name: 'test-vault',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerSecretsProvider({
      name: 'vault',
      get: async (name, { tenantId }) =>
        name === 'api_token' && tenantId === 'default' ? CANARY : undefined,
      describe: (name) => `vault path secret/llmteam/${name}`,
    });
  },
});

function segment(secret = 'api_token') {
  return {
    segment_id: 's',
    version: '1',
    steps: [{ step_id: 'call', step_type: 'leaky', config: { secret } }],
    edges: [],
  };
}

async function boot(options: { secrets?: string } = {}) {
  const lines: string[] = [];
  const logger = {
    debug: (o: unknown, m?: string) => lines.push(JSON.stringify([o, m])),
    info: (o: unknown, m?: string) => lines.push(JSON.stringify([o, m])),
    warn: (o: unknown, m?: string) => lines.push(JSON.stringify([o, m])),
    error: (o: unknown, m?: string) => lines.push(JSON.stringify([o, m])),
    child: () => logger,
  };
  const store = new MemoryStore();
  const engine = createEngine({
    store,
    logger,
    stepTypes: [leaky],
    plugins: [vault],
    secrets: options.secrets,
    pollIntervalMs: 20,
  });
  engines.push(engine);
  await engine.start();
  return { engine, store, lines };
}

describe('secrets through the engine', () => {
  test('a plugin provider chosen by name resolves; the value never reaches the run, events, audit or logs', async () => {
    const { engine, lines } = await boot({ secrets: 'vault' });
    const { runId } = await engine.startRun({ segment: segment(), input: {} });
    const run = await engine.waitForRun(runId, { until: ['completed', 'failed'] });
    expect(run.status).toBe('failed');
    expect(run.error?.message).toContain(`server refused token ${SECRET_PLACEHOLDER}`);
    const events = await engine.store.listEvents('default', runId);
    const audit = await engine.store.listAudit('default');
    const everything = JSON.stringify([
      run,
      await engine.store.getSteps('default', runId),
      events,
      audit,
      lines,
    ]);
    expect(lines.join('\n')).toContain(SECRET_PLACEHOLDER);
    expect(everything).not.toContain(CANARY);
    expect(everything).not.toContain(Buffer.from(CANARY).toString('base64').slice(4, 16));
  });

  test('a missing secret names the secret and the provider, with where to put it', async () => {
    const { engine } = await boot({ secrets: 'vault' });
    const { runId } = await engine.startRun({ segment: segment('absent'), input: {} });
    const run = await engine.waitForRun(runId, { until: ['completed', 'failed'] });
    expect(run.error?.code).toBe('LLMT_E_SECRET_NOT_FOUND');
    expect(run.error?.message).toContain('"absent"');
    expect(run.error?.message).toContain('"vault"');
    expect(run.error?.message).toContain('vault path secret/llmteam/absent');
  });

  test('a provider name no plugin registers is refused at start', async () => {
    const engine = createEngine({ store: new MemoryStore(), secrets: 'nowhere' });
    await expect(engine.start()).rejects.toMatchObject({
      code: 'LLMT_E_SECRETS_CONFIG',
      message: expect.stringContaining('"nowhere"'),
    });
  });
});
