import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { coreErrors, isLlmteamError, LlmteamError } from './index.js';

describe('error registry', () => {
  test('every code is documented in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(coreErrors.undocumented(readme)).toEqual([]);
  });

  test('errors are recognised by brand, not instanceof', () => {
    const foreign = Object.assign(new Error('x'), { code: 'LLMT_E_CONFLICT' });
    Object.defineProperty(foreign, Symbol.for('llmteam.error'), { value: true });
    expect(isLlmteamError(foreign)).toBe(true);
    expect(isLlmteamError(new Error('plain'))).toBe(false);
    expect(isLlmteamError(new LlmteamError('LLMT_E_CONFLICT', 'x'))).toBe(true);
  });
});
