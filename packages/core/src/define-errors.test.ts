import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { defineErrors, isLlmteamError, LlmteamError } from './index.js';

const CODES = {
  LLMT_E_DEMO_OPTIONS: 'The options are wrong; the message names the option.',
  LLMT_E_DEMO_DOWN: 'The demo service cannot be reached.',
} as const;

describe('defineErrors', () => {
  const demo = defineErrors('@acme/demo', CODES, { className: 'DemoError' });

  test('makes branded errors with code, cause, retryable and the class name', () => {
    const cause = new Error('ECONNREFUSED');
    const error = demo.create('LLMT_E_DEMO_DOWN', 'demo at 127.0.0.1:1 is down; start it', {
      cause,
      retryable: true,
    });
    expect(error).toBeInstanceOf(LlmteamError);
    expect(error.name).toBe('DemoError');
    expect(error.code).toBe('LLMT_E_DEMO_DOWN');
    expect(error.cause).toBe(cause);
    expect(error.retryable).toBe(true);
    expect(isLlmteamError(error)).toBe(true);
    expect(error[Symbol.for('llmteam.error') as unknown as keyof typeof error]).toBe(true);
  });

  test('a named subclass keeps its name and is recognised by the registry', () => {
    class DemoError extends demo.Error {}
    const error = new DemoError('LLMT_E_DEMO_OPTIONS', 'option "url" is missing; pass it');
    expect(error).toBeInstanceOf(DemoError);
    expect(error.name).toBe('DemoError');
    expect(demo.is(error)).toBe(true);
    expect(demo.is(error, 'LLMT_E_DEMO_OPTIONS')).toBe(true);
    expect(demo.is(error, 'LLMT_E_DEMO_DOWN')).toBe(false);
  });

  test('recognises errors by brand and code, not instanceof', () => {
    const foreign = Object.assign(new Error('x'), { code: 'LLMT_E_DEMO_DOWN' });
    expect(demo.is(foreign)).toBe(false);
    Object.defineProperty(foreign, Symbol.for('llmteam.error'), { value: true });
    expect(demo.is(foreign)).toBe(true);
    expect(demo.is(new LlmteamError('LLMT_E_CONFLICT', 'x'))).toBe(false);
    expect(demo.is('LLMT_E_DEMO_DOWN')).toBe(false);
  });

  test('undocumented lists the codes a README does not name in backticks', () => {
    expect(demo.undocumented('| `LLMT_E_DEMO_OPTIONS` | ... |\nLLMT_E_DEMO_DOWN')).toEqual([
      'LLMT_E_DEMO_DOWN',
    ]);
    expect(demo.undocumented('`LLMT_E_DEMO_OPTIONS` `LLMT_E_DEMO_DOWN`')).toEqual([]);
  });

  test('refuses a code that is not LLMT_E_* and a code without a meaning, naming both', () => {
    expect(() => defineErrors('@acme/demo', { DEMO_BAD: 'x' })).toThrow(/"DEMO_BAD" does not follow LLMT_E_/);
    expect(() => defineErrors('@acme/demo', { LLMT_E_DEMO_X: ' ' })).toThrow(
      /"LLMT_E_DEMO_X" has no meaning/,
    );
  });
});

describe('error registries across the repository', () => {
  const repo = join(import.meta.dirname, '../../..');
  const files = ['packages', 'plugins', 'apps'].flatMap((group) =>
    readdirSync(join(repo, group)).flatMap((pkg) => {
      try {
        return [[`${group}/${pkg}`, readFileSync(join(repo, group, pkg, 'src/errors.ts'), 'utf8')] as const];
      } catch {
        return [];
      }
    }),
  );

  test('every package other than core and the client builds its registry with defineErrors', () => {
    const others = files.filter(([pkg]) => pkg !== 'packages/core' && pkg !== 'packages/client');
    expect(others.length).toBeGreaterThanOrEqual(9);
    for (const [pkg, text] of others) {
      expect(text, pkg).toContain('defineErrors(');
      expect(text, pkg).not.toMatch(/extends LlmteamError\b/);
    }
  });

  test('no LLMT_E_ code is defined by two packages', () => {
    const owner = new Map<string, string>();
    for (const [pkg, text] of files) {
      const registry = /ERROR_CODES = \{([\s\S]*?)\} as const/.exec(text)?.[1] ?? '';
      for (const [, code] of registry.matchAll(/^\s+(LLMT_E_[A-Z0-9_]+):/gm)) {
        expect(owner.get(code), `${code} in ${pkg} and ${owner.get(code)}`).toBeUndefined();
        owner.set(code, pkg);
      }
    }
    expect(owner.size).toBeGreaterThan(60);
  });
});
