import { isLlmteamError, StepError } from '../../errors.js';
import { defineStepType, type StepTypeDefinition } from '../types.js';

interface HttpActionConfig {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** Secret names whose values are sent as headers: `{ "Authorization": "erp_token" }`. */
  secret_headers?: Record<string, string>;
  /** Send the step input as the JSON body. @default true for POST/PUT/PATCH */
  send_input?: boolean;
  /** Status codes (besides 2xx) that count as success. */
  accept_status?: number[];
}

/**
 * `http_action`: calls an external HTTP endpoint with the step's idempotency key in the
 * `Idempotency-Key` header, so a step that runs again after a crash is not applied twice.
 * 5xx, 429 and network errors are retryable; other 4xx fail the step at once.
 */
export function createHttpActionStepType(): StepTypeDefinition<HttpActionConfig> {
  return defineStepType<HttpActionConfig>({
    type: 'http_action',
    displayName: 'HTTP action',
    category: 'INTEGRATION',
    description:
      'Calls an HTTP endpoint with an Idempotency-Key header; the JSON (or text) response is the output.',
    configSchema: {
      type: 'object',
      required: ['url'],
      properties: {
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
    async handler(ctx) {
      const method = ctx.config.method ?? 'POST';
      const headers: Record<string, string> = {
        'idempotency-key': ctx.idempotencyKey,
        ...(ctx.config.headers ?? {}),
      };
      for (const [header, secret] of Object.entries(ctx.config.secret_headers ?? {}))
        headers[header] = await ctx.secrets.get(secret);
      const sendBody = ctx.config.send_input ?? ['POST', 'PUT', 'PATCH'].includes(method);
      if (sendBody) headers['content-type'] = 'application/json';
      let response: Response;
      try {
        response = await ctx.http(ctx.config.url, {
          method,
          headers,
          body: sendBody ? JSON.stringify(ctx.input ?? null) : undefined,
          signal: ctx.signal,
        });
      } catch (cause) {
        // A refused host stays refused: retrying cannot help.
        if (isLlmteamError(cause) && !cause.retryable) throw cause;
        throw new StepError(`http_action ${method} ${ctx.config.url} failed: ${(cause as Error).message}`, {
          cause,
        });
      }
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // Not JSON: the text itself is the output.
      }
      const ok = response.ok || (ctx.config.accept_status ?? []).includes(response.status);
      if (!ok) {
        const message = `http_action ${method} ${ctx.config.url} answered ${response.status}`;
        const details = { status: response.status, body };
        if (response.status >= 500 || response.status === 429) throw new StepError(message, { details });
        throw StepError.nonRetryable(message, { details });
      }
      return { output: body };
    },
  });
}
