import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin, MemoryStore } from '@llmteam/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { createRuntime } from './create-runtime.js';
import { loadConfig } from './load-config.js';

describe('config: resources per tenant and the subject directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-tenant-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  (globalThis as Record<string, unknown>).__llmteamDefinePlugin = definePlugin;

  it('scopes a plugin entry to a tenant and assigns group requests from the configured directory', async () => {
    const project = mkdtempSync(join(dir, 'project-'));
    // A plugin registering a client and a step type that reports the client it sees.
    writeFileSync(
      join(project, 'crm.mjs'),
      `export default globalThis.__llmteamDefinePlugin({ name: 'acme-crm', version: '1.0.0', apiVersion: '^1.0.0',
        setup(api) {
          api.registerResource('clients', 'crm', 'crm of ' + api.options.owner);
          api.registerStepType({ type: 'acme.crm', displayName: 'CRM', category: 'UTILITY', configSchema: { type: 'object' },
            inputs: [{ port_id: 'input' }], outputs: [{ port_id: 'output' }], handler: (ctx) => ({ output: ctx.resources.clients.crm ?? 'none' }) });
        } });`,
    );
    writeFileSync(
      join(project, 'llmteam.config.json'),
      JSON.stringify({
        plugins: [['./crm.mjs', { owner: 'acme' }, { tenant: 'acme' }]],
        directory: {
          subjects: [
            { subject: 'ann', groups: ['finance'], skills: ['tax'] },
            { subject: 'bob', groups: ['finance'] },
            { subject: 'cem', groups: ['finance'], skills: ['tax'], tenant: 'other' },
          ],
        },
      }),
    );
    const runtime = await createRuntime({
      loaded: await loadConfig({ cwd: project }),
      logger: createLogger({ level: 'silent' }),
      store: new MemoryStore(),
    });
    expect(runtime.plugins.map((p) => [p.plugin.name, p.tenantId])).toEqual([['acme-crm', 'acme']]);
    const engine = runtime.engine;
    for (const tenantId of ['acme', 'beta', 'other'])
      await engine.tenants.create({ tenantId, name: tenantId });
    await engine.start();
    try {
      const crm = { segment_id: 'crm', steps: [{ step_id: 'c', step_type: 'acme.crm' }] };
      const seen: Record<string, unknown> = {};
      for (const tenantId of ['acme', 'beta']) {
        const tenant = engine.forTenant(tenantId, { subject: 'ops' });
        const run = await tenant.startRun({ segment: crm });
        seen[tenantId] = (await engine.waitForRun(run.runId, { tenantId })).outputs;
      }
      expect(seen).toEqual({ acme: { c: 'crm of acme' }, beta: { c: 'none' } });

      const review = {
        segment_id: 'review',
        steps: [
          {
            step_id: 'r',
            step_type: 'human_task',
            config: {
              task_type: 'approval',
              title: 'Tax review',
              assignee_ref: 'group:finance',
              assignment: { strategy: 'capability', skills: ['tax'] },
            },
          },
        ],
      };
      const run = await engine.startRun({ segment: review });
      await engine.waitForRun(run.runId, { until: ['waiting_human'] });
      const [request] = await engine.store.listInteractions('default', { runId: run.runId });
      // cem has the skill too, but belongs to another tenant only.
      expect(request?.assignees.users).toEqual(['ann']);
    } finally {
      await runtime.close();
    }
  });

  it('refuses a malformed tenant scope or directory entry, naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        { plugins: [['x', {}, { tenant: '' }]] },
        /plugins\[0\] must be a package name, \[name, \{ options \}\] or/,
      ],
      [{ directory: { subjects: [{ subject: 'ann' }] } }, /directory\.subjects\[0\]\.groups must be a list/],
      [{ directory: { subjects: [{ subject: 'ann', groups: ['g'], skill: ['x'] }] } }, /unknown key "skill"/],
      [{ directory: [] }, /directory must be \{ "subjects"/],
    ];
    for (const [config, message] of cases) {
      const bad = mkdtempSync(join(dir, 'bad-'));
      writeFileSync(join(bad, 'llmteam.config.json'), JSON.stringify(config));
      await expect(loadConfig({ cwd: bad })).rejects.toMatchObject({
        code: 'LLMT_E_GW_CONFIG',
        message: expect.stringMatching(message),
      });
    }
  });
});
