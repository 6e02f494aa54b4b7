import { createHmac, timingSafeEqual } from 'node:crypto';
import { slackError } from './errors.js';

/** Options of {@link verifySlackSignature}. */
export interface VerifySlackSignatureOptions {
  /** The Slack app's signing secret (Basic Information > App Credentials). */
  signingSecret: string;
  /** The `X-Slack-Request-Timestamp` header (Unix seconds). */
  timestamp: string | number | undefined;
  /** The `X-Slack-Signature` header, `v0=<hex>`. */
  signature: string | undefined;
  /** The request body exactly as received, before any parsing. */
  rawBody: string | Uint8Array;
  /** The current time (ms since the epoch or a Date). @default Date.now() */
  now?: number | Date;
  /** Accepted age of a request, in seconds. @default 300 (Slack's recommendation) */
  toleranceSeconds?: number;
}

/**
 * Verifies that a request comes from Slack, following Slack's "Verifying requests from
 * Slack": `v0=` + hex HMAC-SHA256 of `v0:${timestamp}:${rawBody}` keyed with the signing
 * secret, compared in constant time, and refused when the timestamp is more than five
 * minutes away from now (replays). Throws `LLMT_E_SLACK_SIGNATURE`; returns nothing.
 */
export function verifySlackSignature(options: VerifySlackSignatureOptions): void {
  if (!options.signingSecret) {
    throw slackError(
      'LLMT_E_SLACK_SIGNATURE',
      "Slack signing secret is empty: pass the app's signing secret.",
    );
  }
  const timestamp = options.timestamp === undefined ? '' : String(options.timestamp);
  if (!/^\d+$/.test(timestamp) || !options.signature) {
    throw slackError(
      'LLMT_E_SLACK_SIGNATURE',
      'Slack request is missing the X-Slack-Request-Timestamp or X-Slack-Signature header.',
    );
  }
  const nowMs =
    options.now === undefined
      ? Date.now()
      : typeof options.now === 'number'
        ? options.now
        : options.now.getTime();
  const tolerance = options.toleranceSeconds ?? 300;
  const skew = Math.abs(Math.floor(nowMs / 1000) - Number(timestamp));
  if (skew > tolerance) {
    throw slackError(
      'LLMT_E_SLACK_SIGNATURE',
      `Slack request timestamp is ${skew} s away from now (more than ${tolerance} s): refused as a possible replay.`,
    );
  }
  const body =
    typeof options.rawBody === 'string' ? options.rawBody : Buffer.from(options.rawBody).toString('utf8');
  const expected = Buffer.from(
    `v0=${createHmac('sha256', options.signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`,
  );
  const given = Buffer.from(options.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw slackError(
      'LLMT_E_SLACK_SIGNATURE',
      'Slack signature does not match: wrong signing secret or altered body.',
    );
  }
}
