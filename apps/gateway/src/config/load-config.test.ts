import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin, MemoryStore } from '@llmteam/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { createRuntime } from './create-runtime.js';
import { loadConfig } from './load-config.js';

describe('config loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('uses defaults when there is no config file', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    expect(await loadConfig({ cwd: empty })).toEqual({ config: {}, dir: empty });
  });

  it('reads llmteam.config.json and refuses malformed entries with LLMT_E_GW_CONFIG', async () => {
    const good = mkdtempSync(join(dir, 'good-'));
    writeFileSync(join(good, 'llmteam.config.json'), JSON.stringify({ plugins: ['./steps.mjs'] }));
    expect((await loadConfig({ cwd: good })).config).toEqual({ plugins: ['./steps.mjs'] });
    const bad = mkdtempSync(join(dir, 'bad-'));
    writeFileSync(join(bad, 'llmteam.config.json'), JSON.stringify({ plugins: [42] }));
    await expect(loadConfig({ cwd: bad })).rejects.toMatchObject({
      code: 'LLMT_E_GW_CONFIG',
      message: expect.stringContaining('plugins[0]'),
    });
    await expect(loadConfig({ cwd: bad, file: 'nope.json' })).rejects.toMatchObject({
      code: 'LLMT_E_GW_CONFIG',
    });
  });

  it('checks the telemetry section, naming the field and the fix', async () => {
    const ok = mkdtempSync(join(dir, 'otel-'));
    const telemetry = {
      serviceName: 'llmteam',
      otlp: { endpoint: 'http://127.0.0.1:4318' },
      sampleRatio: 0.5,
    };
    writeFileSync(join(ok, 'llmteam.config.json'), JSON.stringify({ telemetry }));
    expect((await loadConfig({ cwd: ok })).config.telemetry).toEqual(telemetry);
    const cases: Array<[unknown, RegExp]> = [
      [{ otlp: { endpoint: 'localhost:4318' } }, /telemetry\.otlp\.endpoint must be the http\(s\) URL/],
      [
        { otlp: { endpoint: 'http://x', port: 1 } },
        /telemetry\.otlp\.port is not an OTLP setting; known keys: endpoint/,
      ],
      [{ sampleRatio: 2 }, /telemetry\.sampleRatio must be a number from 0 to 1/],
      [{ exporter: 'otlp' }, /telemetry\.exporter is not a telemetry setting; known keys: serviceName, otlp/],
      ['otlp', /telemetry must be \{ "otlp"/],
    ];
    for (const [value, message] of cases) {
      const bad = mkdtempSync(join(dir, 'otel-bad-'));
      writeFileSync(join(bad, 'llmteam.config.json'), JSON.stringify({ telemetry: value }));
      await expect(loadConfig({ cwd: bad })).rejects.toMatchObject({
        code: 'LLMT_E_GW_CONFIG',
        message: expect.stringMatching(message),
      });
    }
  });

  it('refuses unknown keys, naming them and the known ones', async () => {
    const typo = mkdtempSync(join(dir, 'typo-'));
    writeFileSync(join(typo, 'llmteam.config.json'), JSON.stringify({ plugin: [], store: 'x' }));
    await expect(loadConfig({ cwd: typo })).rejects.toMatchObject({
      code: 'LLMT_E_GW_CONFIG',
      message: expect.stringMatching(/unknown key "plugin"; known keys: store, plugins, gateway/),
    });
    const moved = mkdtempSync(join(dir, 'moved-'));
    writeFileSync(
      join(moved, 'llmteam.config.json'),
      JSON.stringify({ gateway: { slackSigningSecret: 's' } }),
    );
    await expect(loadConfig({ cwd: moved })).rejects.toMatchObject({
      message: expect.stringMatching(
        /gateway: unknown key "slackSigningSecret".*notify-slack.*known keys: port, publicUrl/,
      ),
    });
  });

  it('takes the retention sweep schedule, refusing a bad duration or key by name', async () => {
    const ok = mkdtempSync(join(dir, 'retention-'));
    writeFileSync(join(ok, 'llmteam.config.json'), JSON.stringify({ retention: { sweepEvery: 'PT15M' } }));
    expect((await loadConfig({ cwd: ok })).config.retention).toEqual({ sweepEvery: 'PT15M' });
    const bad = mkdtempSync(join(dir, 'retention-bad-'));
    writeFileSync(join(bad, 'llmteam.config.json'), JSON.stringify({ retention: { sweepEvery: 'hourly' } }));
    await expect(loadConfig({ cwd: bad })).rejects.toMatchObject({
      code: 'LLMT_E_GW_CONFIG',
      message: expect.stringContaining('retention.sweepEvery'),
    });
    const typo = mkdtempSync(join(dir, 'retention-typo-'));
    writeFileSync(join(typo, 'llmteam.config.json'), JSON.stringify({ retention: { every: 60 } }));
    await expect(loadConfig({ cwd: typo })).rejects.toMatchObject({
      message: expect.stringMatching(/retention: unknown key "every"; known keys: sweepEvery/),
    });
  });

  it('refuses a licence section of the wrong shape, and a licence file without its public key or the other way round', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        { file: 'a.licence', key: 'k.pem' },
        /licence: unknown key "key"; known keys: file, publicKeyFile, publicKey/,
      ],
      [
        { file: 'a.licence', publicKey: 'PEM', publicKeyFile: 'k.pem' },
        /give publicKey or publicKeyFile, not both/,
      ],
      [{ file: 7 }, /licence\.file must be a non-empty string/],
    ];
    for (const [licence, message] of cases) {
      const bad = mkdtempSync(join(dir, 'licence-bad-'));
      writeFileSync(join(bad, 'llmteam.config.json'), JSON.stringify({ licence }));
      await expect(loadConfig({ cwd: bad })).rejects.toMatchObject({
        code: 'LLMT_E_GW_CONFIG',
        message: expect.stringMatching(message),
      });
    }
    const start = (licence: unknown) => {
      const project = mkdtempSync(join(dir, 'licence-'));
      writeFileSync(join(project, 'llmteam.config.json'), JSON.stringify({ licence }));
      return loadConfig({ cwd: project }).then((loaded) =>
        createRuntime({ loaded, logger: createLogger({ level: 'silent' }), store: new MemoryStore() }),
      );
    };
    await expect(start({ file: 'a.licence' })).rejects.toMatchObject({
      code: 'LLMT_E_GW_CONFIG',
      message: expect.stringMatching(/a\.licence is configured without the public key to check it/),
    });
    await expect(start({ publicKey: 'PEM' })).rejects.toMatchObject({
      code: 'LLMT_E_GW_CONFIG',
      message: expect.stringMatching(/a licence public key is configured but no licence file/),
    });
    await expect(start({ file: 'missing.licence', publicKey: 'PEM' })).rejects.toMatchObject({
      code: 'LLMT_E_GW_CONFIG',
      message: expect.stringMatching(/licence\.file: cannot read .*missing\.licence \(no such file\)/),
    });
  });

  it('loads plugins from the config directory; their step types appear and run like built-ins', async () => {
    const project = mkdtempSync(join(dir, 'project-'));
    // A plugin module written the way a package would be; definePlugin comes from the test's core.
    (globalThis as Record<string, unknown>).__llmteamDefinePlugin = definePlugin;
    writeFileSync(
      join(project, 'steps.mjs'),
      `export default globalThis.__llmteamDefinePlugin({ name: 'acme-steps', version: '1.0.0', apiVersion: '^1.0.0',
        setup(api) { api.registerStepType({ type: 'acme.double', displayName: 'Double', category: 'UTILITY', configSchema: { type: 'object' },
          inputs: [{ port_id: 'input' }], outputs: [{ port_id: 'output' }], handler: (ctx) => ({ output: ctx.input.n * 2 }) }); } });`,
    );
    writeFileSync(join(project, 'llmteam.config.json'), JSON.stringify({ plugins: ['./steps.mjs'] }));
    const runtime = await createRuntime({
      loaded: await loadConfig({ cwd: project }),
      logger: createLogger({ level: 'silent' }),
      store: new MemoryStore(),
    });
    await runtime.engine.start();
    try {
      expect(runtime.engine.catalog.info().map((s) => s.type)).toContain('acme.double');
      const run = await runtime.engine.startRun({
        segment: { segment_id: 'd', steps: [{ step_id: 'x', step_type: 'acme.double' }] },
        input: { n: 21 },
      });
      const done = await runtime.engine.waitForRun(run.runId);
      expect(done.outputs).toEqual({ x: 42 });
    } finally {
      await runtime.close();
    }
  });

  it('refuses a plugin whose apiVersion does not fit, naming it', async () => {
    const project = mkdtempSync(join(dir, 'old-'));
    writeFileSync(
      join(project, 'old.mjs'),
      `export default globalThis.__llmteamDefinePlugin({ name: 'old-plugin', version: '0.1.0', apiVersion: '^0.1.0', setup() {} });`,
    );
    writeFileSync(join(project, 'llmteam.config.json'), JSON.stringify({ plugins: ['./old.mjs'] }));
    await expect(
      createRuntime({
        loaded: await loadConfig({ cwd: project }),
        logger: createLogger({ level: 'silent' }),
        store: new MemoryStore(),
      }),
    ).rejects.toMatchObject({
      code: 'LLMT_E_PLUGIN_API_VERSION',
      message: expect.stringContaining('old-plugin'),
    });
  });
});
