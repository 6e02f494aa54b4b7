import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { verifySlackSignature } from './slack-signature.js';

// The example request from Slack's "Verifying requests from Slack" guide.
const DOCS = {
  signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  rawBody:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};
const AT = Number(DOCS.timestamp) * 1000;

describe('verifySlackSignature', () => {
  test("accepts Slack's documented example request", () => {
    expect(() => verifySlackSignature({ ...DOCS, now: AT + 30_000 })).not.toThrow();
  });

  test('accepts a request signed as the docs describe, computed independently', () => {
    const rawBody = `payload=${encodeURIComponent('{"type":"block_actions"}')}`;
    const timestamp = '1700000000';
    const signature = `v0=${createHmac('sha256', 'my-secret').update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
    expect(() =>
      verifySlackSignature({
        signingSecret: 'my-secret',
        timestamp,
        signature,
        rawBody: Buffer.from(rawBody),
        now: 1700000000_000,
      }),
    ).not.toThrow();
  });

  test('refuses a tampered body', () => {
    expect(() =>
      verifySlackSignature({ ...DOCS, rawBody: DOCS.rawBody.replace('roadrunner', 'coyote'), now: AT }),
    ).toThrow(
      expect.objectContaining({
        code: 'LLMT_E_SLACK_SIGNATURE',
        message: expect.stringMatching(/does not match/),
      }),
    );
  });

  test('refuses another signing secret', () => {
    expect(() => verifySlackSignature({ ...DOCS, signingSecret: 'x'.repeat(32), now: AT })).toThrow(
      /does not match/,
    );
  });

  test('refuses a request older than five minutes, or from further in the future', () => {
    expect(() => verifySlackSignature({ ...DOCS, now: AT + 301_000 })).toThrow(/replay/);
    expect(() => verifySlackSignature({ ...DOCS, now: AT - 301_000 })).toThrow(/replay/);
    expect(() => verifySlackSignature({ ...DOCS, now: AT + 299_000 })).not.toThrow();
  });

  test('refuses a request without the Slack headers', () => {
    expect(() => verifySlackSignature({ ...DOCS, signature: undefined, now: AT })).toThrow(/missing/);
    expect(() => verifySlackSignature({ ...DOCS, timestamp: undefined, now: AT })).toThrow(/missing/);
  });
});
