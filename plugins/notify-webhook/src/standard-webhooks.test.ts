import { createHmac } from 'node:crypto';
import { isLlmteamError } from '@llmteam/core';
import { describe, expect, test } from 'vitest';
import { signWebhook, verifyWebhook } from './standard-webhooks.js';

// The reference vector published with the Standard Webhooks libraries.
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

function headersFor(id: string, timestamp: number, signature: string) {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isLlmteamError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'no error';
}

describe('Standard Webhooks signatures', () => {
  test('signs the spec reference vector exactly', () => {
    expect(
      signWebhook({ id: SPEC.id, timestamp: SPEC.timestamp, body: SPEC.body, secret: SPEC.secret }),
    ).toBe(SPEC.signature);
  });

  test('a raw secret is used as its UTF-8 bytes', () => {
    const expected = createHmac('sha256', 'plain-secret').update('m1.100.{}').digest('base64');
    expect(signWebhook({ id: 'm1', timestamp: 100, body: '{}', secret: 'plain-secret' })).toBe(
      `v1,${expected}`,
    );
  });

  test('verifies a good request and returns the parsed body', () => {
    const payload = verifyWebhook({
      headers: headersFor(SPEC.id, SPEC.timestamp, SPEC.signature),
      body: SPEC.body,
      secret: SPEC.secret,
      now: SPEC.timestamp * 1000 + 10_000,
    });
    expect(payload).toEqual({ test: 2432232314 });
  });

  test('accepts Fetch Headers and a list of signatures during key rotation', () => {
    const headers = new Headers(
      headersFor(SPEC.id, SPEC.timestamp, `v1,b2xkLXNpZ25hdHVyZQ== ${SPEC.signature}`),
    );
    expect(
      verifyWebhook({ headers, body: SPEC.body, secret: SPEC.secret, now: SPEC.timestamp * 1000 }),
    ).toEqual({
      test: 2432232314,
    });
  });

  test('refuses a tampered body', () => {
    const result = codeOf(() =>
      verifyWebhook({
        headers: headersFor(SPEC.id, SPEC.timestamp, SPEC.signature),
        body: '{"test": 2432232315}',
        secret: SPEC.secret,
        now: SPEC.timestamp * 1000,
      }),
    );
    expect(result).toMatch(/^LLMT_E_WEBHOOK_SIGNATURE: .*does not match/);
  });

  test('refuses a signature made with another secret', () => {
    const signature = signWebhook({
      id: SPEC.id,
      timestamp: SPEC.timestamp,
      body: SPEC.body,
      secret: 'whsec_b3RoZXI=',
    });
    expect(
      codeOf(() =>
        verifyWebhook({
          headers: headersFor(SPEC.id, SPEC.timestamp, signature),
          body: SPEC.body,
          secret: SPEC.secret,
          now: SPEC.timestamp * 1000,
        }),
      ),
    ).toMatch(/does not match/);
  });

  test('refuses a stale timestamp, and one from the future, outside the tolerance', () => {
    const base = {
      headers: headersFor(SPEC.id, SPEC.timestamp, SPEC.signature),
      body: SPEC.body,
      secret: SPEC.secret,
    };
    expect(codeOf(() => verifyWebhook({ ...base, now: (SPEC.timestamp + 301) * 1000 }))).toMatch(/too old/);
    expect(codeOf(() => verifyWebhook({ ...base, now: (SPEC.timestamp - 301) * 1000 }))).toMatch(/future/);
    expect(
      codeOf(() => verifyWebhook({ ...base, now: (SPEC.timestamp + 1000) * 1000, toleranceSeconds: 2000 })),
    ).toBe('no error');
  });

  test('refuses a request without the webhook headers', () => {
    expect(codeOf(() => verifyWebhook({ headers: {}, body: SPEC.body, secret: SPEC.secret }))).toMatch(
      /missing/,
    );
  });
});
