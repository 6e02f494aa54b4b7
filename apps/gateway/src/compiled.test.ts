import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const gateway = resolve(import.meta.dirname, '..');

/**
 * Vitest runs the TypeScript sources; users run the compiled packages under plain node.
 * These tests run the built output (`pnpm build`, which `pnpm test` does first), so an ESM
 * or decorator problem that only shows in compiled code fails here.
 */
describe('compiled packages under plain node', () => {
  test('every package was built', () => {
    const packages = [
      'packages/core',
      'packages/testkit',
      'packages/client',
      'plugins/store-sql',
      'plugins/store-sqlite',
      'plugins/store-postgres',
      'plugins/store-redis',
      'plugins/notify-webhook',
      'plugins/notify-slack',
      'plugins/notify-email',
      'plugins/notify-teams',
      'apps/gateway',
    ];
    const missing = packages.filter((p) => !existsSync(join(root, p, 'dist/index.js')));
    expect(missing, 'run `pnpm build` (pnpm test does it first)').toEqual([]);
  });

  test('each package imports and a segment runs on SQLite from the built output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmt-compiled-'));
    // Each package imported through its own entry, resolving its dependencies as installed.
    const others = [
      'packages/client',
      'packages/testkit',
      'plugins/store-postgres',
      'plugins/store-redis',
      'plugins/notify-webhook',
      'plugins/notify-slack',
      'plugins/notify-email',
      'plugins/notify-teams',
    ].map((p) => pathToFileURL(join(root, p, 'dist/index.js')).href);
    const script = `
      const core = await import('@llmteam/core');
      const { createSqliteStore } = await import('@llmteam/store-sqlite');
      for (const entry of ${JSON.stringify(others)}) {
        const mod = await import(entry);
        if (Object.keys(mod).length === 0) throw new Error(entry + ' exports nothing');
      }
      const store = createSqliteStore({ path: ${JSON.stringify(join(dir, 'db.sqlite'))} });
      const engine = core.createEngine({ store });
      const started = await engine.startRun({ segment: { segment_id: 's', steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$ * 2' } }] }, input: 21 });
      const done = await engine.waitForRun(started.runId, { until: ['completed', 'failed'] });
      await engine.stop();
      await store.close();
      console.log(JSON.stringify(done.outputs));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: gateway });
    expect(JSON.parse(stdout.trim())).toEqual({ t: 42 });
  }, 60_000);

  test('the llmteam bin validates a segment and reports problems with their paths', async () => {
    const cli = join(gateway, 'dist/cli.js');
    const ok = await run(
      process.execPath,
      [cli, 'validate', join(root, 'examples/segments/order-flow.json')],
      { cwd: mkdtempSync(join(tmpdir(), 'llmt-cli-')) },
    );
    expect(ok.stdout).toMatch(/valid/i);
    const bad = await run(process.execPath, [
      cli,
      'validate',
      join(root, 'packages/core/package.json'),
    ]).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(1);
    expect(`${(bad as { stdout: string }).stdout}${(bad as { stderr: string }).stderr}`).toContain('$');
  }, 60_000);
});
