/** Options of {@link postWithRetry}. */
export interface PostWithRetryOptions {
  url: string;
  /** The request body, sent as it is. */
  body: string;
  /**
   * Headers for one attempt; called before every attempt (1-based), so signatures and
   * timestamps can be fresh on each retry.
   */
  headers: (attempt: number) => Record<string, string>;
  /** Attempts in total, the first one included. @default 3 */
  maxAttempts?: number;
  /** Wait before the first retry; doubled before each further retry. @default 500 */
  backoffMs?: number;
  /** Longest wait between two attempts (also caps a `Retry-After` header). @default 30000 */
  maxBackoffMs?: number;
  /** Time limit of one attempt. @default 10000 */
  timeoutMs?: number;
  /** Aborts the whole delivery, waiting included. */
  signal?: AbortSignal;
  /** The `fetch` to use. @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Scrubs secrets from an answer's body before it is cut short for {@link PostResult.error}
   * (channels pass `ctx.redact`), so a secret the receiver echoes across the cut leaves no
   * half behind. @default the body as it is
   */
  redact?: (text: string) => string;
}

/** What {@link postWithRetry} reports; it never throws. */
export interface PostResult {
  /** True for a 2xx answer. */
  ok: boolean;
  /** Status of the last answer, if any arrived. */
  status?: number;
  /** Body of the last answer. */
  body?: string;
  /** Headers of the last answer. */
  headers?: Headers;
  attempts: number;
  /** Why the delivery failed. */
  error?: string;
}

/** Default attempts, back-off and timeout of webhook-style deliveries. */
export const RETRY_DEFAULTS = {
  maxAttempts: 3,
  backoffMs: 500,
  maxBackoffMs: 30_000,
  timeoutMs: 10_000,
} as const;

/** Retry settings a channel takes in its options and hands to {@link postWithRetry}. */
export type RetrySettings = Pick<
  PostWithRetryOptions,
  'maxAttempts' | 'backoffMs' | 'maxBackoffMs' | 'timeoutMs'
>;

/** Picks the retry settings out of a channel's options (unset ones keep their defaults). */
export function retrySettings(options: RetrySettings): RetrySettings {
  return {
    maxAttempts: options.maxAttempts,
    backoffMs: options.backoffMs,
    maxBackoffMs: options.maxBackoffMs,
    timeoutMs: options.timeoutMs,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}

/**
 * POSTs a body and retries with exponential back-off on network errors, timeouts, 5xx and
 * 429 (honouring `Retry-After`), up to `maxAttempts`. Other 4xx answers are final: the
 * receiver refused the message and sending it again would not change that. Delivery is at
 * least once: a receiver should deduplicate by a message id it is sent.
 */
export async function postWithRetry(options: PostWithRetryOptions): Promise<PostResult> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? RETRY_DEFAULTS.maxAttempts);
  const backoffMs = options.backoffMs ?? RETRY_DEFAULTS.backoffMs;
  const maxBackoffMs = options.maxBackoffMs ?? RETRY_DEFAULTS.maxBackoffMs;
  const timeoutMs = options.timeoutMs ?? RETRY_DEFAULTS.timeoutMs;
  const doFetch = options.fetch ?? globalThis.fetch;
  const redact = options.redact ?? ((text: string) => text);
  let last: PostResult = { ok: false, attempts: 0, error: 'not attempted' };

  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    if (options.signal?.aborted) {
      return {
        ...last,
        ok: false,
        attempts: attempt - 1,
        error: `aborted: ${describe(options.signal.reason)}`,
      };
    }
    let waitMs = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
    try {
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      const response = await doFetch(options.url, {
        method: 'POST',
        headers: options.headers(attempt),
        body: options.body,
        signal,
        redirect: 'error',
      });
      const body = await response.text();
      last = { ok: response.ok, status: response.status, body, headers: response.headers, attempts: attempt };
      if (response.ok) return last;
      last.error = `HTTP ${response.status}${body ? `: ${redact(body).slice(0, 200)}` : ''}`;
      if (response.status !== 429 && response.status < 500) return last;
      const retryAfter = retryAfterMs(response.headers);
      if (retryAfter !== undefined) waitMs = Math.min(maxBackoffMs, retryAfter);
    } catch (error) {
      if (options.signal?.aborted) {
        return { ok: false, attempts: attempt, error: `aborted: ${describe(options.signal.reason)}` };
      }
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      last = {
        ok: false,
        attempts: attempt,
        error: timedOut ? `timed out after ${timeoutMs} ms` : describe(error),
      };
    }
    if (attempt < maxAttempts) {
      try {
        await sleep(waitMs, options.signal);
      } catch {
        return { ...last, ok: false, error: `aborted while waiting to retry (${last.error})` };
      }
    }
  }
  return {
    ...last,
    error: `${last.error} (gave up after ${last.attempts} attempt${last.attempts === 1 ? '' : 's'})`,
  };
}
