import { isLlmteamError, StepError } from '../../errors.js';
import { defineStepType, type StepTypeDefinition } from '../types.js';

interface HttpActionConfig {
  /** A declared action to call instead of a URL: limits, auth and audit come with it. */
  action?: string;
  url?: string;
  method?: string;
  headers?: Record<string, string>;
  /** Secret names whose values are sent as headers: `{ "Authorization": "erp_token" }`. */
  secret_headers?: Record<string, string>;
  /** Send the step input as the JSON body. @default true for POST/PUT/PATCH */
  send_input?: boolean;
  /** Status codes (besides 2xx) that count as success. */
  accept_status?: number[];
}

const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

/**
 * `http_action`: calls a declared action by name (`{ "action": "check_inventory" }`), or
 * an HTTP endpoint by URL with the step's idempotency key in the `Idempotency-Key` header,
 * so a step that runs again after a crash is not applied twice. 5xx, 429 and network errors
 * are retryable; other 4xx fail the step at once. Redirects are followed hop by hop; a hop
 * to another origin drops `Authorization`, cookies and every `secret_headers` header.
 */
export function createHttpActionStepType(): StepTypeDefinition<HttpActionConfig> {
  return defineStepType<HttpActionConfig>({
    type: 'http_action',
    displayName: 'HTTP action',
    category: 'INTEGRATION',
    description:
      'Calls a declared action by name, or an HTTP endpoint with an Idempotency-Key header; the JSON (or text) response is the output.',
    configSchema: {
      type: 'object',
      anyOf: [{ required: ['url'] }, { required: ['action'] }],
      properties: {
        action: { type: 'string', minLength: 1 },
        url: { type: 'string', format: 'uri' },
        method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        secret_headers: { type: 'object', additionalProperties: { type: 'string' } },
        send_input: { type: 'boolean' },
        accept_status: { type: 'array', items: { type: 'integer' } },
      },
    },
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    defaultRetry(step, runtime) {
      const name = step.config?.action;
      const count = typeof name === 'string' ? runtime.actions.get(name)?.retry_count : undefined;
      return count ? { max_attempts: count + 1 } : undefined;
    },
    async handler(ctx) {
      if (ctx.config.action) {
        const result = await ctx.actions.execute(ctx.config.action, ctx.input ?? null);
        return { output: result.data ?? null };
      }
      const target = ctx.config.url!;
      let method = ctx.config.method ?? 'POST';
      let headers: Record<string, string> = {
        'idempotency-key': ctx.idempotencyKey,
        traceparent: ctx.trace.traceparent,
        ...(ctx.config.headers ?? {}),
      };
      const secretHeaders = new Set(CREDENTIAL_HEADERS);
      for (const [header, secret] of Object.entries(ctx.config.secret_headers ?? {})) {
        headers[header] = await ctx.secrets.get(secret);
        secretHeaders.add(header.toLowerCase());
      }
      const sendBody = ctx.config.send_input ?? ['POST', 'PUT', 'PATCH'].includes(method);
      if (sendBody) headers['content-type'] = 'application/json';
      let body = sendBody ? JSON.stringify(ctx.input ?? null) : undefined;
      let url = new URL(target);
      let response: Response;
      for (let hop = 0; ; hop++) {
        try {
          // ctx.http checks each hop against the granted hosts; the hops are followed here so
          // that credentials never travel to another origin.
          response = await ctx.http(url, { method, headers, body, signal: ctx.signal, redirect: 'manual' });
        } catch (cause) {
          // A refused host stays refused: retrying cannot help.
          if (isLlmteamError(cause) && !cause.retryable) throw cause;
          throw new StepError(`http_action ${method} ${target} failed: ${(cause as Error).message}`, {
            cause,
          });
        }
        const location = response.headers.get('location');
        if (response.status < 300 || response.status >= 400 || response.status === 304 || !location) break;
        if (hop >= 5) throw StepError.nonRetryable(`http_action ${method} ${target}: too many redirects`);
        await response.body?.cancel();
        const next = new URL(location, url);
        if (next.origin !== url.origin) {
          headers = Object.fromEntries(
            Object.entries(headers).filter(([h]) => !secretHeaders.has(h.toLowerCase())),
          );
        }
        if (
          response.status === 303 ||
          ((response.status === 301 || response.status === 302) && method !== 'GET' && method !== 'HEAD')
        ) {
          method = 'GET';
          body = undefined;
          delete headers['content-type'];
        }
        url = next;
      }
      const text = await response.text();
      let output: unknown = text;
      try {
        output = text ? JSON.parse(text) : null;
      } catch {
        // Not JSON: the text itself is the output.
      }
      const ok = response.ok || (ctx.config.accept_status ?? []).includes(response.status);
      if (!ok) {
        const message = `http_action ${method} ${target} answered ${response.status}`;
        const details = { status: response.status, body: output };
        if (response.status >= 500 || response.status === 429) throw new StepError(message, { details });
        throw StepError.nonRetryable(message, { details });
      }
      return { output };
    },
  });
}
