import { fileURLToPath } from 'node:url';
import { readmeExamplesSuite } from '@llmteam/testkit';
import { describe, expect, test } from 'vitest';

// The example uses the SQLite store, which is how this package is installed.
readmeExamplesSuite({
  readme: new URL('../README.md', import.meta.url),
  conditions: ['llmteam-source'],
  run: { resolveFrom: fileURLToPath(new URL('../../store-sqlite', import.meta.url)) },
  test,
  expect,
  describe,
});
