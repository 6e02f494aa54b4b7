import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { readmeExamplesSuite } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { CLI, WORKSPACE_NODE_ARGS } from './test-support.js';

// The `llmteam` of the examples is the command from source, on a SQLite file of its own.
const dir = mkdtempSync(join(tmpdir(), 'llmteam-gateway-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
writeFileSync(
  join(dir, 'llmteam'),
  `#!/bin/sh\nexec ${[process.execPath, ...WORKSPACE_NODE_ARGS, CLI].map(quote).join(' ')} "$@"\n`,
);
chmodSync(join(dir, 'llmteam'), 0o755);
writeFileSync(
  join(dir, 'llmteam.config.json'),
  JSON.stringify({ store: ['@llmteam/store-sqlite', { path: join(dir, 'llmteam.sqlite') }] }),
);

// The README's gateway serves with this admin key; its curl calls use it.
const env = {
  LLMTEAM_BOOTSTRAP_API_KEY: 'llmt_readme-gateway-admin-key-0123456789',
  LOG_LEVEL: 'warn',
  LLMTEAM_CONFIG: join(dir, 'llmteam.config.json'),
  PATH: `${dir}${delimiter}${process.env.PATH ?? ''}`,
};

readmeExamplesSuite({
  readme: new URL('../README.md', import.meta.url),
  conditions: ['llmteam-source'],
  run: { env },
  test,
  expect,
  describe,
});
