// Core cannot depend on its own testkit, so core's public-API documentation check lives here.
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { undocumentedExports } from './undocumented-exports.js';

test('every export of @llmteam/core has TSDoc', async () => {
  const entry = fileURLToPath(new URL('../../../core/src/index.ts', import.meta.url));
  expect(await undocumentedExports(entry)).toEqual([]);
}, 120_000);

test('the check names an undocumented export', async () => {
  const entry = fileURLToPath(new URL('./fixtures/partly-documented.ts', import.meta.url));
  expect(await undocumentedExports(entry)).toEqual([
    expect.stringMatching(/^bare \(.*partly-documented\.ts\)$/),
  ]);
}, 120_000);
