import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test, vi } from 'vitest';

test('the README example runs as written and prints what it says', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  const dir = mkdtempSync(join(tmpdir(), 'llm-anthropic-readme-'));
  const file = join(dir, 'example.ts');
  writeFileSync(file, code ?? '');
  const logs: unknown[][] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args) => void logs.push(args));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    await import(pathToFileURL(file).href);
  } finally {
    log.mockRestore();
    write.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
  expect(logs[0]).toEqual(['check_inventory', '{"sku":"A1"}']);
  expect(logs[1]).toEqual(['\n', 'stop', { inputTokens: 10, outputTokens: 5, cachedInputTokens: 0 }]);
});
