import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { isLlmteamError } from '../errors.js';
import type { InteractionRecord } from '../store/types.js';
import {
  createResponseLink,
  type ResponseTokenPayload,
  signResponseToken,
  verifyResponseToken,
} from './response-token.js';
import type { Notification } from './types.js';

const SECRET = 'test-link-secret';
const NOW = Date.UTC(2026, 0, 1);

function payload(overrides: Partial<ResponseTokenPayload> = {}): ResponseTokenPayload {
  return {
    tenantId: 'acme',
    interactionId: 'int_1',
    recipient: 'alice@example.com',
    action: 'approve',
    expiresAt: new Date(NOW + 60_000).toISOString(),
    nonce: 'n-1',
    ...overrides,
  };
}

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (isLlmteamError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an error');
}

describe('response tokens', () => {
  test('a signed token verifies and returns its payload', () => {
    const token = signResponseToken(payload(), SECRET);
    expect(verifyResponseToken(token, SECRET, { now: NOW })).toEqual(payload());
  });

  test('the token is base64url payload and an HMAC-SHA256 of it', () => {
    const token = signResponseToken(payload(), SECRET);
    const [body, sig] = token.split('.');
    expect(JSON.parse(Buffer.from(body, 'base64url').toString())).toEqual(payload());
    expect(sig).toBe(createHmac('sha256', SECRET).update(body).digest('base64url'));
  });

  test('refuses a token whose payload was altered', () => {
    const token = signResponseToken(payload(), SECRET);
    const forged = Buffer.from(JSON.stringify(payload({ action: 'reject' }))).toString('base64url');
    const error = errorOf(() =>
      verifyResponseToken(`${forged}.${token.split('.')[1]}`, SECRET, { now: NOW }),
    );
    expect(error.code).toBe('LLMT_E_INVALID_ARGUMENT');
    expect(error.message).toMatch(/signature/);
  });

  test('refuses a token signed with another secret', () => {
    const token = signResponseToken(payload(), 'other-secret');
    expect(errorOf(() => verifyResponseToken(token, SECRET, { now: NOW })).message).toMatch(/signature/);
  });

  test('refuses an expired token and says it expired', () => {
    const token = signResponseToken(payload(), SECRET);
    const error = errorOf(() => verifyResponseToken(token, SECRET, { now: new Date(NOW + 60_000) }));
    expect(error.code).toBe('LLMT_E_INVALID_ARGUMENT');
    expect(error.message).toMatch(/expired/);
  });

  test.each(['', 'abc', 'a.b.c', 'ab!.cd', '.'])('refuses the malformed token %j', (token) => {
    expect(errorOf(() => verifyResponseToken(token, SECRET, { now: NOW })).code).toBe(
      'LLMT_E_INVALID_ARGUMENT',
    );
  });

  test('refuses a validly signed payload that is not a token', () => {
    const body = Buffer.from(JSON.stringify({ hello: 'world' })).toString('base64url');
    const sig = createHmac('sha256', SECRET).update(body).digest('base64url');
    expect(errorOf(() => verifyResponseToken(`${body}.${sig}`, SECRET, { now: NOW })).message).toMatch(
      /malformed/,
    );
  });

  test('refuses to sign with an empty secret or an unknown action', () => {
    expect(errorOf(() => signResponseToken(payload(), '')).code).toBe('LLMT_E_INVALID_ARGUMENT');
    expect(
      errorOf(() => signResponseToken(payload({ action: 'delete' as 'approve' }), SECRET)).message,
    ).toMatch(/approve/);
  });
});

describe('createResponseLink', () => {
  const interaction = { interactionId: 'int_9', tenantId: 'acme' } as InteractionRecord;
  const base: Notification = {
    tenantId: 'acme',
    reason: 'requested',
    interaction,
    recipients: { users: ['bob'], groups: [] },
    links: { baseUrl: 'https://gw.example.com/' },
  };

  test('signs with the secret, binds recipient and action, and expires after the ttl', () => {
    const link = createResponseLink(base, 'bob', 'reject', { secret: SECRET, ttlSeconds: 60, now: NOW });
    expect(link).toMatch(/^https:\/\/gw\.example\.com\/respond\/[\w-]+\.[\w-]+$/);
    const token = decodeURIComponent(link!.split('/').pop()!);
    const verified = verifyResponseToken(token, SECRET, { now: NOW });
    expect(verified).toMatchObject({
      tenantId: 'acme',
      interactionId: 'int_9',
      recipient: 'bob',
      action: 'reject',
    });
    expect(() => verifyResponseToken(token, SECRET, { now: NOW + 60_000 })).toThrow(/expired/);
  });

  test('two links for the same recipient carry different nonces', () => {
    const a = createResponseLink(base, 'bob', 'approve', { secret: SECRET, now: NOW })!;
    const b = createResponseLink(base, 'bob', 'approve', { secret: SECRET, now: NOW })!;
    expect(a).not.toBe(b);
  });

  test("prefers the notification's signer and respondUrl", () => {
    const link = createResponseLink(
      { ...base, links: { respondUrl: 'https://gw/r' }, signLink: (r, a) => `${r}-${a}` },
      'bob',
      'approve',
      { secret: SECRET },
    );
    expect(link).toBe('https://gw/r/bob-approve');
  });

  test('returns undefined when it has no way to sign or nowhere to point', () => {
    expect(createResponseLink(base, 'bob', 'approve')).toBeUndefined();
    expect(createResponseLink({ ...base, links: {} }, 'bob', 'approve', { secret: SECRET })).toBeUndefined();
  });
});
