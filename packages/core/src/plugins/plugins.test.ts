import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  createEngine,
  definePlugin,
  defineStepType,
  loadPlugins,
  MemoryStore,
  PLUGIN_API_VERSION,
} from '../index.js';

function fakePackage(root: string, name: string, apiVersion: string): void {
  const dir = join(root, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name, version: '2.0.0', type: 'module', main: 'index.js' }),
  );
  writeFileSync(
    join(dir, 'index.js'),
    `const brand = Symbol.for('llmteam.plugin');
     const plugin = { name: ${JSON.stringify(name)}, version: '2.0.0', apiVersion: ${JSON.stringify(apiVersion)},
       setup(api) { api.registerStepType({ type: 'acme.upper', displayName: 'Upper', category: 'UTILITY', configSchema: {},
         inputs: [{ port_id: 'input' }], outputs: [{ port_id: 'output' }], handler: (ctx) => ({ output: String(ctx.input).toUpperCase() }) }); } };
     Object.defineProperty(plugin, brand, { value: true });
     export default plugin;`,
  );
}

describe('plugins', () => {
  test('loads a plugin by package name; its step type runs like a built-in', async () => {
    const root = mkdtempSync(join(tmpdir(), 'llmt-plugins-'));
    fakePackage(root, '@acme/llmteam-steps', '^1.0.0');
    const plugins = await loadPlugins(['@acme/llmteam-steps'], { cwd: root });
    const engine = createEngine({ store: new MemoryStore(), plugins });
    const run = await engine.startRun({
      segment: { segment_id: 'p', steps: [{ step_id: 'u', step_type: 'acme.upper' }] },
      input: 'hi',
    });
    expect((await engine.waitForRun(run.runId)).outputs).toEqual({ u: 'HI' });
  });

  test('a wrong apiVersion fails with a message naming the plugin, its range and core', async () => {
    const root = mkdtempSync(join(tmpdir(), 'llmt-plugins-'));
    fakePackage(root, 'old-plugin', '^0.3.0');
    const error = await loadPlugins(['old-plugin'], { cwd: root }).catch((e) => e);
    expect(error.code).toBe('LLMT_E_PLUGIN_API_VERSION');
    expect(error.message).toContain('old-plugin');
    expect(error.message).toContain('^0.3.0');
    expect(error.message).toContain(PLUGIN_API_VERSION);
  });

  test('a missing package and a module that is no plugin give typed errors', async () => {
    const root = mkdtempSync(join(tmpdir(), 'llmt-plugins-'));
    await expect(loadPlugins(['not-installed'], { cwd: root })).rejects.toMatchObject({
      code: 'LLMT_E_PLUGIN_LOAD',
    });
    mkdirSync(join(root, 'node_modules', 'plain'), { recursive: true });
    writeFileSync(
      join(root, 'node_modules', 'plain', 'package.json'),
      JSON.stringify({ name: 'plain', type: 'module', main: 'index.js' }),
    );
    writeFileSync(join(root, 'node_modules', 'plain', 'index.js'), 'export default { hello: 1 };');
    await expect(loadPlugins(['plain'], { cwd: root })).rejects.toMatchObject({
      code: 'LLMT_E_PLUGIN_INVALID',
    });
  });

  test('a throwing setup is wrapped with the plugin name and hook', async () => {
    const bad = definePlugin({
      name: 'broken',
      version: '1.0.0',
      apiVersion: '^1.0.0',
      setup: () => {
        throw new Error('nope');
      },
    });
    const engine = createEngine({ store: new MemoryStore(), plugins: [bad] });
    await expect(
      engine.startRun({
        segment: {
          segment_id: 'x',
          steps: [{ step_id: 't', step_type: 'transform', config: { expression: '1' } }],
        },
      }),
    ).rejects.toMatchObject({
      code: 'LLMT_E_PLUGIN_SETUP',
      message: expect.stringContaining('"broken"'),
    });
  });

  test('ctx.http and ctx.secrets refuse what the step type does not declare', async () => {
    const probe = defineStepType({
      type: 'probe',
      displayName: 'Probe',
      category: 'INTEGRATION',
      configSchema: {},
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'output' }],
      permissions: { hosts: ['api.example.com'], secrets: ['token'] },
      async handler(ctx) {
        const results: string[] = [];
        for (const attempt of [
          () => ctx.http('https://evil.example.net/x'),
          () => ctx.secrets.get('other'),
          () => ctx.secrets.get('token'),
        ]) {
          try {
            results.push(String(await attempt()));
          } catch (e) {
            results.push((e as { code: string }).code);
          }
        }
        return { output: results };
      },
    });
    const engine = createEngine({
      store: new MemoryStore(),
      stepTypes: [probe],
      secrets: { get: async (name) => (name === 'token' ? 's3cret' : undefined) },
    });
    const run = await engine.startRun({
      segment: { segment_id: 'perm', steps: [{ step_id: 'p', step_type: 'probe' }] },
    });
    expect((await engine.waitForRun(run.runId)).outputs).toEqual({
      p: ['LLMT_E_HOST_NOT_ALLOWED', 'LLMT_E_SECRET_NOT_ALLOWED', 's3cret'],
    });
  });
});
