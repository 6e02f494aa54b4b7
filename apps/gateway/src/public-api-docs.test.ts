import { fileURLToPath } from 'node:url';
import { undocumentedExports } from '@llmteam/testkit';
import { expect, test } from 'vitest';

test('every export of the public entry point has TSDoc', async () => {
  const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
  expect(await undocumentedExports(entry)).toEqual([]);
}, 120_000);
