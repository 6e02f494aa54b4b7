import { isLlmteamError, LlmteamError } from '../errors.js';
import { createHttpAgents, hmacSignature, sendHttp } from './http-request.js';
import type { OutboundGuard } from './outbound-guard.js';
import type { ActionConfig, ActionTypeContext, ActionTypeHandler } from './types.js';

/** Default `max_response_bytes`: 1 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

interface HttpActionConfig extends ActionConfig {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  headers?: Record<string, string>;
  /** Header name -> secret name, e.g. `{ "X-Erp-Key": "erp_key" }`. */
  secret_headers?: Record<string, string>;
  /** Where the input goes. @default "body" for POST, PUT and PATCH, else "query" */
  send_input?: 'body' | 'query' | 'none';
  accept_status?: number[];
  /** @default 1048576 */
  max_response_bytes?: number;
  /** @default 5 */
  max_redirects?: number;
}

const secretName = { type: 'string', minLength: 1 };

/** JSON Schema of the keys of `webhook` and `rest_api` actions. */
export const httpActionConfigSchema: Record<string, unknown> = {
  type: 'object',
  required: ['url'],
  properties: {
    url: { type: 'string', pattern: '^https?://' },
    method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    secret_headers: { type: 'object', additionalProperties: secretName },
    send_input: { enum: ['body', 'query', 'none'] },
    accept_status: { type: 'array', items: { type: 'integer', minimum: 100, maximum: 599 } },
    max_response_bytes: { type: 'integer', minimum: 1 },
    max_redirects: { type: 'integer', minimum: 0, maximum: 20 },
    auth_config: {
      type: 'object',
      // Secrets are named (`*_secret`), never inlined: a literal `token` or `password` is refused.
      additionalProperties: false,
      properties: {
        token_secret: secretName,
        username: { type: 'string' },
        username_secret: secretName,
        password_secret: secretName,
        key_secret: secretName,
        header: { type: 'string', minLength: 1 },
        signing_secret: secretName,
        algorithm: { enum: ['sha256', 'sha384', 'sha512', 'sha1'] },
        signature_header: { type: 'string', minLength: 1 },
        timestamp_header: { type: 'string', minLength: 1 },
      },
    },
  },
};

function validateAuth(config: ActionConfig): Array<[string, string]> {
  const auth = (config.auth_config ?? {}) as Record<string, unknown>;
  const need = (key: string): Array<[string, string]> =>
    auth[key]
      ? []
      : [[`auth_config.${key}`, `auth_type "${config.auth_type}" needs auth_config.${key} (a secret name)`]];
  switch (config.auth_type) {
    case 'bearer':
      return need('token_secret');
    case 'basic':
      return [
        ...need('password_secret'),
        ...(auth.username || auth.username_secret
          ? []
          : ([
              ['auth_config.username', 'auth_type "basic" needs auth_config.username or username_secret'],
            ] as Array<[string, string]>)),
      ];
    case 'api_key':
      return need('key_secret');
    case 'hmac':
      return need('signing_secret');
    default:
      return [];
  }
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

function fillUrl(template: string, input: unknown, action: string): { url: URL; used: Set<string> } {
  const used = new Set<string>();
  const values = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const filled = template.replace(/\{(\w+)\}/g, (_m, key: string) => {
    const value = values[key];
    if (value === undefined || value === null || typeof value === 'object') {
      throw new LlmteamError(
        'LLMT_E_ACTION_REQUEST_INVALID',
        `action "${action}": the url needs input.${key} (a string or number) for {${key}}; nothing was sent`,
        { details: { action, field: `input.${key}` } },
      );
    }
    used.add(key);
    return encodeURIComponent(String(value));
  });
  return { url: new URL(filled), used };
}

function parseBody(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return null;
  const text = body.toString('utf8');
  if (contentType && !/json/i.test(contentType)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Options of an HTTP action type. */
export interface HttpActionTypeOptions {
  guard: OutboundGuard;
  /** @default "llmteam" */
  userAgent?: string;
}

/**
 * `webhook` and `rest_api` actions: HTTP with auth (bearer, basic, api_key, hmac) from named
 * secrets, `Idempotency-Key`, `X-Correlation-ID`, `X-Tenant-ID` and W3C `traceparent` headers, a response size
 * limit, redirects re-checked and stripped of credentials across origins, and every
 * address checked at connect time.
 */
export function createHttpActionType(
  type: 'webhook' | 'rest_api',
  options: HttpActionTypeOptions,
): ActionTypeHandler {
  const agents = createHttpAgents();
  return {
    type,
    configSchema: httpActionConfigSchema,
    validate: validateAuth,
    async close() {
      agents.http.destroy();
      agents.https.destroy();
    },
    async execute(input, ctx: ActionTypeContext) {
      const config = ctx.config as HttpActionConfig;
      const method = config.method ?? (type === 'webhook' ? 'POST' : 'GET');
      const sendInput = config.send_input ?? (['POST', 'PUT', 'PATCH'].includes(method) ? 'body' : 'query');
      const { url, used } = fillUrl(config.url, input, ctx.action);
      const headers: Record<string, string> = {
        'user-agent': options.userAgent ?? 'llmteam',
        accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
        ...(config.headers ?? {}),
        'idempotency-key': ctx.idempotencyKey,
        'x-correlation-id': ctx.correlationId,
        'x-tenant-id': ctx.tenantId,
        ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
        ...(ctx.tracestate ? { tracestate: ctx.tracestate } : {}),
      };
      const credentialHeaders = new Set(['authorization', 'proxy-authorization', 'cookie']);
      let body: Buffer | undefined;
      if (sendInput === 'body') {
        body = Buffer.from(JSON.stringify(input ?? null));
        headers['content-type'] = 'application/json';
      } else if (sendInput === 'query' && input && typeof input === 'object' && !Array.isArray(input)) {
        for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
          if (used.has(k) || v === undefined || v === null) continue;
          url.searchParams.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
        }
      }
      for (const [header, secret] of Object.entries(config.secret_headers ?? {})) {
        headers[header.toLowerCase()] = await ctx.secrets.get(secret, `secret_headers.${header}`);
        credentialHeaders.add(header.toLowerCase());
      }
      const auth = (config.auth_config ?? {}) as Record<string, string>;
      switch (config.auth_type) {
        case 'bearer':
          headers.authorization = `Bearer ${await ctx.secrets.get(auth.token_secret!, 'auth_config.token_secret')}`;
          break;
        case 'basic': {
          const user = auth.username_secret
            ? await ctx.secrets.get(auth.username_secret, 'auth_config.username_secret')
            : auth.username!;
          const password = await ctx.secrets.get(auth.password_secret!, 'auth_config.password_secret');
          headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
          break;
        }
        case 'api_key': {
          const header = (auth.header ?? 'x-api-key').toLowerCase();
          headers[header] = await ctx.secrets.get(auth.key_secret!, 'auth_config.key_secret');
          credentialHeaders.add(header);
          break;
        }
        case 'hmac': {
          const secret = await ctx.secrets.get(auth.signing_secret!, 'auth_config.signing_secret');
          const timestampHeader = (auth.timestamp_header ?? 'x-signature-timestamp').toLowerCase();
          const signatureHeader = (auth.signature_header ?? 'x-signature').toLowerCase();
          const timestamp = String(Math.floor(ctx.clock.now() / 1000));
          headers[timestampHeader] = timestamp;
          headers[signatureHeader] = hmacSignature(auth.algorithm ?? 'sha256', secret, timestamp, body);
          credentialHeaders.add(signatureHeader);
          credentialHeaders.add(timestampHeader);
          break;
        }
      }
      let answer: Awaited<ReturnType<typeof sendHttp>>;
      try {
        answer = await sendHttp(url, {
          action: ctx.action,
          method,
          headers,
          body,
          signal: ctx.signal,
          maxBytes: config.max_response_bytes ?? DEFAULT_MAX_RESPONSE_BYTES,
          maxRedirects: config.max_redirects ?? 5,
          credentialHeaders,
          guard: options.guard,
          agents,
        });
      } catch (error) {
        if (isLlmteamError(error) || ctx.signal.aborted) throw error;
        const code = (error as NodeJS.ErrnoException).code;
        throw new LlmteamError(
          code && NETWORK_CODES.has(code) ? 'LLMT_E_ACTION_UNAVAILABLE' : 'LLMT_E_ACTION_FAILED',
          `action "${ctx.action}": ${method} ${url.origin}${url.pathname} failed: ${(error as Error).message}`,
          {
            cause: error,
            retryable: true,
            details: { action: ctx.action, field: 'url', ...(code ? { error_code: code } : {}) },
          },
        );
      }
      const data = parseBody(answer.body, answer.headers['content-type']);
      const ok =
        (answer.status >= 200 && answer.status < 300) || (config.accept_status ?? []).includes(answer.status);
      if (!ok) {
        const retryable = RETRYABLE_STATUS.has(answer.status);
        // Scrubbed whole, then cut: a secret the far side echoes across the cut leaves no half.
        const shown = typeof data === 'string' ? ctx.redact(data).slice(0, 2048) : data;
        throw new LlmteamError(
          'LLMT_E_ACTION_FAILED',
          `action "${ctx.action}": ${method} ${url.origin}${url.pathname} answered ${answer.status}${retryable ? '' : ' (not retried: fix the request or the action config)'}`,
          {
            retryable,
            details: { action: ctx.action, field: 'url', response_code: answer.status, body: shown },
          },
        );
      }
      return { data, code: answer.status };
    },
  };
}
