import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LlmteamError } from '../errors.js';
import type { Notification } from './types.js';

/**
 * What a one-time answer token carries. A token answers exactly one interaction, as one
 * recipient, with one action, until `expiresAt`.
 *
 * Single use is the consumer's job: the gateway records `nonce` together with the answer
 * (in the same commit), and refuses a token whose nonce was already used or whose
 * interaction is already closed. The signature alone cannot prevent a replay.
 */
export interface ResponseTokenPayload {
  tenantId: string;
  interactionId: string;
  /** The assignee (user id, email or group) the link was sent to; the answer is recorded as theirs. */
  recipient: string;
  action: 'approve' | 'reject';
  /** ISO 8601 instant after which the token is refused. */
  expiresAt: string;
  /** Random, unique per token; the consumer records it to refuse a second use. */
  nonce: string;
}

/** Options of {@link verifyResponseToken}. */
export interface VerifyResponseTokenOptions {
  /** The current time (ms since the epoch or a Date). @default Date.now() */
  now?: number | Date;
}

const ACTIONS = new Set(['approve', 'reject']);

function hmac(secret: string | Uint8Array, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

function invalid(message: string, cause?: unknown): LlmteamError {
  return new LlmteamError('LLMT_E_INVALID_ARGUMENT', message, cause === undefined ? {} : { cause });
}

function assertSecret(secret: string | Uint8Array): void {
  if (typeof secret === 'string' ? secret.length === 0 : secret.byteLength === 0) {
    throw invalid('Response token secret is empty: pass the secret the gateway verifies links with.');
  }
}

/**
 * Signs a one-time answer token: `base64url(JSON payload) + '.' + base64url(HMAC-SHA256)`.
 * The token is URL-safe, so it can be put in a link path as it is.
 */
export function signResponseToken(payload: ResponseTokenPayload, secret: string | Uint8Array): string {
  assertSecret(secret);
  if (!ACTIONS.has(payload.action)) {
    throw invalid(
      `Response token action must be "approve" or "reject", got ${JSON.stringify(payload.action)}.`,
    );
  }
  if (Number.isNaN(Date.parse(payload.expiresAt))) {
    throw invalid(
      `Response token expiresAt must be an ISO 8601 instant, got ${JSON.stringify(payload.expiresAt)}.`,
    );
  }
  for (const key of ['tenantId', 'interactionId', 'recipient', 'nonce'] as const) {
    if (typeof payload[key] !== 'string' || payload[key].length === 0) {
      throw invalid(`Response token ${key} must be a non-empty string.`);
    }
  }
  // Fixed key order, so the same payload always gives the same token.
  const body = Buffer.from(
    JSON.stringify({
      tenantId: payload.tenantId,
      interactionId: payload.interactionId,
      recipient: payload.recipient,
      action: payload.action,
      expiresAt: payload.expiresAt,
      nonce: payload.nonce,
    }),
  ).toString('base64url');
  return `${body}.${hmac(secret, body).toString('base64url')}`;
}

/**
 * Checks a token's signature and expiry and returns its payload. Throws an
 * {@link LlmteamError} with code `LLMT_E_INVALID_ARGUMENT` for a malformed token, a bad
 * signature or an expired token (the message says which). It does not check single use:
 * see {@link ResponseTokenPayload}.
 */
export function verifyResponseToken(
  token: string,
  secret: string | Uint8Array,
  options: VerifyResponseTokenOptions = {},
): ResponseTokenPayload {
  assertSecret(secret);
  if (typeof token !== 'string') throw invalid('Response token is malformed: expected a string.');
  const parts = token.split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) {
    throw invalid('Response token is malformed: expected "<payload>.<signature>" in base64url.');
  }
  const [body, signature] = parts;
  const expected = hmac(secret, body);
  const given = Buffer.from(signature, 'base64url');
  // Equal lengths first: timingSafeEqual throws on a length mismatch.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalid('Response token signature is invalid: the link was altered or signed with another secret.');
  }
  let payload: ResponseTokenPayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as ResponseTokenPayload;
  } catch (error) {
    throw invalid('Response token is malformed: its payload is not JSON.', error);
  }
  if (
    typeof payload !== 'object' ||
    payload === null ||
    !ACTIONS.has(payload.action) ||
    typeof payload.interactionId !== 'string' ||
    typeof payload.tenantId !== 'string' ||
    typeof payload.recipient !== 'string' ||
    typeof payload.nonce !== 'string' ||
    typeof payload.expiresAt !== 'string'
  ) {
    throw invalid('Response token is malformed: its payload lacks required fields.');
  }
  const expiresAt = Date.parse(payload.expiresAt);
  const now =
    options.now === undefined
      ? Date.now()
      : typeof options.now === 'number'
        ? options.now
        : options.now.getTime();
  if (Number.isNaN(expiresAt) || now >= expiresAt) {
    throw invalid(
      `Response token expired at ${payload.expiresAt}: ask for a new notification or answer in the console.`,
    );
  }
  return payload;
}

/** Options of {@link createResponseLink}. */
export interface ResponseLinkOptions {
  /** Secret used when the notification carries no `signLink`. */
  secret?: string;
  /** Gateway URL used when the notification's links carry neither `respondUrl` nor `baseUrl`. */
  baseUrl?: string;
  /** Lifetime of a link signed here. @default 604800 (7 days) */
  ttlSeconds?: number;
  /** The current time in ms. @default Date.now() */
  now?: number;
}

/** Default lifetime of a signed answer link: 7 days. */
export const DEFAULT_RESPONSE_LINK_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * Builds the one-time answer link a channel sends to one recipient:
 * `${respondUrl}/${token}`, where `respondUrl` is `notification.links.respondUrl` or
 * `${baseUrl}/respond`. The token comes from `notification.signLink` when present (the
 * gateway's own signer), else from {@link signResponseToken} with `options.secret`.
 * Returns `undefined` when there is no way to sign or no URL to point at, so a channel can
 * leave the buttons out instead of sending dead links.
 */
export function createResponseLink(
  notification: Notification,
  recipient: string,
  action: 'approve' | 'reject',
  options: ResponseLinkOptions = {},
): string | undefined {
  const base =
    notification.links.respondUrl ??
    (notification.links.baseUrl ?? options.baseUrl)?.replace(/\/+$/, '').concat('/respond');
  if (!base) return undefined;
  let token: string;
  if (notification.signLink) {
    token = notification.signLink(recipient, action);
  } else if (options.secret) {
    const now = options.now ?? Date.now();
    const ttl = options.ttlSeconds ?? DEFAULT_RESPONSE_LINK_TTL_SECONDS;
    token = signResponseToken(
      {
        tenantId: notification.tenantId,
        interactionId: notification.interaction.interactionId,
        recipient,
        action,
        expiresAt: new Date(now + ttl * 1000).toISOString(),
        nonce: randomBytes(16).toString('base64url'),
      },
      options.secret,
    );
  } else {
    return undefined;
  }
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(token)}`;
}
