import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isPlugin } from '@llmteam/core';
import { expect, test, vi } from 'vitest';
import { OPENAI_ERROR_CODES, openAiErrors } from './errors.js';
import plugin from './index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

test('the default export is a plugin', () => {
  expect(isPlugin(plugin)).toBe(true);
  expect(plugin.name).toBe('@llmteam/llm-openai');
  expect(plugin.version).toBe(
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
  );
});

test('the README documents every error code', () => {
  for (const code of Object.keys(OPENAI_ERROR_CODES)) expect(readme).toContain(`\`${code}\``);
  expect(openAiErrors.undocumented(readme)).toEqual([]);
});

test('the README example runs as written', async () => {
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  // Under node_modules, so it resolves the package's own dependencies and stays out of git and lint.
  const dir = new URL('../node_modules/.cache/readme/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL('example.ts', dir);
  writeFileSync(file, example ?? '');
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    await import(/* @vite-ignore */ file.href);
    expect(log).toHaveBeenCalledWith('Hello from the model', {
      inputTokens: 12,
      outputTokens: 4,
      cachedInputTokens: 0,
    });
    expect(write.mock.calls.map((c) => c[0]).join('')).toContain('Hello from the model');
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
});
