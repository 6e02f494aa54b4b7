import { isLlmteamError, LlmteamError } from '../errors.js';

/** The kinds of provider failure, each with its own code. */
export type LlmErrorKind =
  | 'rate_limited'
  | 'context_too_long'
  | 'content_filtered'
  | 'auth'
  | 'server'
  | 'timeout'
  | 'bad_request'
  | 'bad_response';

const CODES: Record<LlmErrorKind, string> = {
  rate_limited: 'LLMT_E_LLM_RATE_LIMITED',
  context_too_long: 'LLMT_E_LLM_CONTEXT_TOO_LONG',
  content_filtered: 'LLMT_E_LLM_CONTENT_FILTERED',
  auth: 'LLMT_E_LLM_AUTH',
  server: 'LLMT_E_LLM_SERVER',
  timeout: 'LLMT_E_LLM_TIMEOUT',
  bad_request: 'LLMT_E_LLM_BAD_REQUEST',
  bad_response: 'LLMT_E_LLM_BAD_RESPONSE',
};

const RETRYABLE: Record<LlmErrorKind, boolean> = {
  rate_limited: true,
  context_too_long: false,
  content_filtered: false,
  auth: false,
  server: true,
  timeout: true,
  bad_request: false,
  bad_response: true,
};

/** Options of {@link LlmError}. */
export interface LlmErrorOptions {
  cause?: unknown;
  /** The provider's name. */
  provider?: string;
  /** HTTP status, when there was one. */
  status?: number;
  /** How long the provider asked to wait (from `retry-after`), in ms. */
  retryAfterMs?: number;
}

/**
 * A provider failure, typed by `kind`; `retryable` says whether the same call may succeed
 * later (rate limits, server errors, timeouts, cut streams) or never will (auth, context
 * too long, content filtered, bad request).
 */
export class LlmError extends LlmteamError {
  readonly kind: LlmErrorKind;
  readonly status?: number;
  readonly retryAfterMs?: number;

  constructor(kind: LlmErrorKind, message: string, options: LlmErrorOptions = {}) {
    super(CODES[kind], message, {
      cause: options.cause,
      retryable: RETRYABLE[kind],
      details: {
        kind,
        ...(options.provider ? { provider: options.provider } : {}),
        ...(options.status !== undefined ? { status: options.status } : {}),
        ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
      },
    });
    this.name = 'LlmError';
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** True for an {@link LlmError}, even one from another copy of core. */
export function isLlmError(value: unknown): value is LlmError {
  return (
    isLlmteamError(value) &&
    typeof (value as { kind?: unknown }).kind === 'string' &&
    value.code.startsWith('LLMT_E_LLM_')
  );
}

/**
 * Parses an HTTP `retry-after` header (seconds or an HTTP date) or `retry-after-ms` into ms.
 * Returns `undefined` when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The error kind of an HTTP failure from a provider: 401/403 auth, 429 rate limited,
 * 408 and 504 timeout, 5xx server, and for 400/413/422 context too long or content
 * filtered when the provider's message says so, else bad request.
 */
export function llmErrorKindOf(status: number, message = ''): LlmErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500) return 'server';
  const text = message.toLowerCase();
  if (
    status === 413 ||
    /context.?length|context window|too many tokens|prompt is too long|maximum context/.test(text)
  )
    return 'context_too_long';
  if (/content.?filter|content.?policy|safety/.test(text)) return 'content_filtered';
  return 'bad_request';
}
