import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ReadmeExampleServer, readmeExamples, readmeExamplesSuite } from '@llmteam/testkit';
import { describe, expect, test } from 'vitest';
import { startMain } from './test-support.js';

// The READMEs that talk to a running `pnpm start`: each suite starts main.ts (what `pnpm
// start` runs) on a free port, in a fresh directory, with a known admin key.
const KEY = 'llmt_readme-admin-key-0123456789abcdef';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function pnpmStart(port: number): Promise<ReadmeExampleServer & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-readme-'));
  const main = await startMain(dir, port, { LLMTEAM_BOOTSTRAP_API_KEY: KEY });
  return {
    dir,
    env: { KEY, LLMTEAM_API_KEY: KEY },
    async stop() {
      await main.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

readmeExamplesSuite({
  readme: join(ROOT, 'README.md'),
  server: pnpmStart,
  test,
  expect,
  describe,
});

readmeExamplesSuite({
  readme: new URL('../../../packages/client/README.md', import.meta.url),
  conditions: ['llmteam-source'],
  server: pnpmStart,
  test,
  expect,
  describe,
});

// The examples README goes on from the root README's `gql` (defined in its "Try it").
const gql = readmeExamples(join(ROOT, 'README.md'))
  .find((e) => e.heading === 'Try it')
  ?.code.split('\n')
  .filter((l) => l.startsWith('gql() '))
  .join('\n');
const cliData = mkdtempSync(join(tmpdir(), 'llmteam-readme-cli-'));
const cliConfig = join(cliData, 'llmteam.config.json');
writeFileSync(
  cliConfig,
  JSON.stringify({ store: ['@llmteam/store-sqlite', { path: join(cliData, 'llmteam.sqlite') }] }),
);

readmeExamplesSuite({
  readme: join(ROOT, 'examples/README.md'),
  server: async (port) => {
    const served = await pnpmStart(port);
    return {
      ...served,
      stop: async () => {
        await served.stop();
        rmSync(cliData, { recursive: true, force: true });
      },
    };
  },
  // `pnpm llmteam` runs from the repository, on a store of its own.
  run: { cwd: ROOT, prelude: gql, env: { LLMTEAM_CONFIG: cliConfig, LOG_LEVEL: 'warn' } },
  test,
  expect,
  describe,
});
