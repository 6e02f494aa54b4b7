import { createHmac, timingSafeEqual } from 'node:crypto';
import { webhookError } from './errors.js';

/**
 * Decodes a Standard Webhooks secret: `whsec_<base64>` is the spec's form; any other
 * string is taken as raw bytes (UTF-8), for receivers that share a plain secret.
 */
export function webhookSecretBytes(secret: string): Buffer {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw webhookError(
      'LLMT_E_WEBHOOK_OPTIONS',
      'Webhook secret is empty: pass `whsec_<base64>` or a raw secret.',
    );
  }
  if (secret.startsWith('whsec_')) {
    const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64');
    if (bytes.length === 0) {
      throw webhookError('LLMT_E_WEBHOOK_OPTIONS', 'Webhook secret `whsec_...` holds no base64 key bytes.');
    }
    return bytes;
  }
  return Buffer.from(secret, 'utf8');
}

/** Signs one message: returns the `webhook-signature` header value, `v1,<base64 HMAC-SHA256>`. */
export function signWebhook(input: { id: string; timestamp: number; body: string; secret: string }): string {
  const mac = createHmac('sha256', webhookSecretBytes(input.secret))
    .update(`${input.id}.${input.timestamp}.${input.body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** Request headers (a plain object as from `node:http`, or a Fetch `Headers`). */
  headers: Headers | Record<string, string | string[] | undefined>;
  /** The raw body, exactly as received: verify before parsing. */
  body: string | Uint8Array;
  /** The shared secret, `whsec_<base64>` or raw. */
  secret: string;
  /** Accepted difference between `webhook-timestamp` and now, in seconds. @default 300 */
  toleranceSeconds?: number;
  /** The current time (ms since the epoch or a Date). @default Date.now() */
  now?: number | Date;
}

function header(headers: VerifyWebhookOptions['headers'], name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Verifies a Standard Webhooks request and returns its parsed JSON body. Receivers call it
 * with the raw body before trusting anything in it. Throws `LLMT_E_WEBHOOK_SIGNATURE` when
 * a header is missing, the timestamp is outside `toleranceSeconds` (a replay), or no `v1`
 * signature in `webhook-signature` matches (several are allowed, for key rotation).
 * Signatures are compared in constant time.
 */
export function verifyWebhook(options: VerifyWebhookOptions): unknown {
  const id = header(options.headers, 'webhook-id');
  const timestamp = header(options.headers, 'webhook-timestamp');
  const signatures = header(options.headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw webhookError(
      'LLMT_E_WEBHOOK_SIGNATURE',
      'Webhook is missing a `webhook-id`, `webhook-timestamp` or `webhook-signature` header.',
    );
  }
  const seconds = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || !Number.isSafeInteger(seconds)) {
    throw webhookError(
      'LLMT_E_WEBHOOK_SIGNATURE',
      `Webhook timestamp ${JSON.stringify(timestamp)} is not in seconds.`,
    );
  }
  const nowMs =
    options.now === undefined
      ? Date.now()
      : typeof options.now === 'number'
        ? options.now
        : options.now.getTime();
  const tolerance = options.toleranceSeconds ?? 300;
  const skew = Math.floor(nowMs / 1000) - seconds;
  if (skew > tolerance) {
    throw webhookError(
      'LLMT_E_WEBHOOK_SIGNATURE',
      `Webhook timestamp is too old (${skew} s, tolerance ${tolerance} s).`,
    );
  }
  if (skew < -tolerance) {
    throw webhookError(
      'LLMT_E_WEBHOOK_SIGNATURE',
      `Webhook timestamp is ${-skew} s in the future (tolerance ${tolerance} s).`,
    );
  }
  const body = typeof options.body === 'string' ? options.body : Buffer.from(options.body).toString('utf8');
  const expected = createHmac('sha256', webhookSecretBytes(options.secret))
    .update(`${id}.${timestamp}.${body}`)
    .digest();
  const matches = signatures.split(' ').some((entry) => {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') return false;
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) {
    throw webhookError(
      'LLMT_E_WEBHOOK_SIGNATURE',
      'Webhook signature does not match: wrong secret or altered body.',
    );
  }
  try {
    return JSON.parse(body);
  } catch (error) {
    throw webhookError('LLMT_E_WEBHOOK_SIGNATURE', 'Webhook body is signed but is not JSON.', {
      cause: error,
    });
  }
}
