import { describe, expect, test } from 'vitest';
import { SECRET_PLACEHOLDER, SecretRedactor, secretForms } from './secret-redactor.js';

const CANARY = 'canary-Zx9!q/w+e r';

describe('secret redactor', () => {
  const redactor = new SecretRedactor();
  redactor.add(CANARY);

  test('scrubs the value, JSON-escaped and URL-encoded forms', () => {
    const text = [
      `token ${CANARY}`,
      JSON.stringify({ t: `a"${CANARY}` }),
      `https://x.example/?t=${encodeURIComponent(CANARY)}`,
      `form t=${encodeURIComponent(CANARY).replace(/%20/g, '+')}`,
    ].join('\n');
    const out = redactor.scrub(text);
    for (const form of secretForms(CANARY)) expect(out).not.toContain(form);
    expect(out).not.toContain('Zx9');
    expect(out.split(SECRET_PLACEHOLDER).length - 1).toBe(4);
  });

  test.each([0, 1, 2, 5])('scrubs it inside base64 after %i bytes (Basic auth, base64url)', (prefix) => {
    const raw = `${'u'.repeat(prefix)}${CANARY}:tail`;
    const b64 = Buffer.from(raw).toString('base64');
    const b64url = Buffer.from(raw).toString('base64url');
    const out = redactor.scrub(`Authorization: Basic ${b64} / ${b64url}`);
    expect(out).toContain(SECRET_PLACEHOLDER);
    // What is left decodes to text without the secret's middle.
    expect(out).not.toContain(b64);
    expect(out).not.toContain(b64url);
  });

  test('scrubs strings, keys and error messages deep, sharing untouched parts', () => {
    const clean = { a: 1, b: ['x'] };
    const value = {
      clean,
      [`k-${CANARY}`]: 'v',
      nested: [{ m: `bad ${CANARY}` }],
      err: new Error(`e ${CANARY}`),
    };
    const out = redactor.scrubDeep(value);
    expect(JSON.stringify(out)).not.toContain(CANARY);
    expect((out.err as Error).message).toBe(`e ${SECRET_PLACEHOLDER}`);
    expect(out.clean).toBe(clean);
    expect(value.nested[0]!.m).toContain(CANARY);
  });

  test('ignores values too short to scrub and returns values as they are with nothing registered', () => {
    const empty = new SecretRedactor();
    const v = { a: 'abc' };
    expect(empty.scrubDeep(v)).toBe(v);
    empty.add('abc');
    expect(empty.size).toBe(0);
    expect(empty.scrub('abc abc')).toBe('abc abc');
  });
});
