import {
  type ActionConfig,
  type ActionTypeContext,
  type ActionTypeHandler,
  isLlmteamError,
  LlmteamError,
  parseDuration,
} from '@llmteam/core';
import type { NatsConnection } from '@nats-io/transport-node';

/** Options of the NATS `message_queue` action type (the plugin options). */
export interface NatsActionTypeOptions {
  /** Server URLs, e.g. `nats://127.0.0.1:4222`. @default ["nats://127.0.0.1:4222"] */
  servers?: string | string[];
  /** Name of the secret holding an auth token for the servers. */
  token_secret?: string;
}

interface NatsActionConfig extends ActionConfig {
  broker: 'nats';
  subject: string;
  /** `publish` (JetStream: waits for the stream's ack) or `request` (core NATS request/reply). @default "publish" */
  mode?: 'publish' | 'request';
  /** Publish through JetStream with the idempotency key as `Nats-Msg-Id`. @default true */
  jetstream?: boolean;
}

function lost(action: string, error: unknown): LlmteamError {
  if (isLlmteamError(error)) return error;
  return new LlmteamError(
    'LLMT_E_ACTION_UNAVAILABLE',
    `action "${action}": NATS cannot be reached or dropped the connection (${(error as Error)?.message ?? error}); the step retries when it is back`,
    { cause: error, retryable: true, details: { action, field: 'broker' } },
  );
}

/**
 * The `message_queue` action type for NATS (`@nats-io/transport-node` + JetStream):
 * `publish` stores the input as JSON in a JetStream stream with the call's idempotency key
 * as `Nats-Msg-Id`, so a re-sent message is dropped by the stream's duplicate window;
 * `request` is a core NATS request/reply bounded by the action's timeout.
 */
export function createNatsActionType(options: NatsActionTypeOptions = {}): ActionTypeHandler {
  let connection: Promise<NatsConnection> | undefined;

  const open = (ctx: ActionTypeContext): Promise<NatsConnection> => {
    connection ??= (async () => {
      const { connect } = await import('@nats-io/transport-node');
      const token = options.token_secret
        ? await ctx.secrets.get(options.token_secret, 'token_secret')
        : undefined;
      const nc = await connect({
        servers: options.servers ?? ['nats://127.0.0.1:4222'],
        ...(token ? { token } : {}),
        // A call fails fast while the server is away; the engine's durable retry comes back.
        reconnect: false,
        timeout: 2000,
      });
      void nc.closed().then(() => {
        if (connection === current) connection = undefined;
      });
      return nc;
    })();
    const current = connection;
    current.catch(() => {
      if (connection === current) connection = undefined;
    });
    return current;
  };

  return {
    type: 'message_queue',
    accepts: (config) => config.broker === 'nats',
    configSchema: {
      type: 'object',
      required: ['broker', 'subject'],
      properties: {
        broker: { const: 'nats' },
        subject: { type: 'string', minLength: 1 },
        mode: { enum: ['publish', 'request'] },
        jetstream: { type: 'boolean' },
      },
    },
    async close() {
      const current = connection;
      connection = undefined;
      const nc = await current?.catch(() => undefined);
      await nc?.close().catch(() => undefined);
    },
    async execute(input, ctx) {
      const config = ctx.config as NatsActionConfig;
      const { headers: makeHeaders } = await import('@nats-io/transport-node');
      const payload = new TextEncoder().encode(JSON.stringify(input ?? null));
      const headers = makeHeaders();
      headers.set('X-Correlation-ID', ctx.correlationId);
      headers.set('X-Tenant-ID', ctx.tenantId);
      headers.set('Idempotency-Key', ctx.idempotencyKey);
      // W3C Trace Context in NATS headers: the subscriber continues the call's trace.
      if (ctx.traceparent) headers.set('traceparent', ctx.traceparent);
      if (ctx.tracestate) headers.set('tracestate', ctx.tracestate);
      let nc: NatsConnection;
      try {
        nc = await open(ctx);
      } catch (error) {
        throw lost(ctx.action, error);
      }
      if ((config.mode ?? 'publish') === 'request') {
        try {
          // A little past the action's timeout, so the executor reports it as a timeout.
          const timeout = parseDuration(config.timeout ?? 30, `actions.${ctx.action}.timeout`) + 100;
          const reply = await nc.request(config.subject, payload, { timeout, headers });
          const text = new TextDecoder().decode(reply.data);
          let data: unknown = text;
          try {
            data = JSON.parse(text);
          } catch {
            // Not JSON: the text is the reply.
          }
          return { data, code: 'reply' };
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          const message = String((error as Error)?.message ?? error);
          if (/no responders|503/i.test(message)) {
            throw new LlmteamError(
              'LLMT_E_ACTION_FAILED',
              `action "${ctx.action}": nobody listens on subject "${config.subject}"`,
              { cause: error, retryable: true, details: { action: ctx.action, field: 'subject' } },
            );
          }
          throw lost(ctx.action, error);
        }
      }
      if (config.jetstream === false) {
        try {
          nc.publish(config.subject, payload, { headers });
          await nc.flush();
        } catch (error) {
          throw lost(ctx.action, error);
        }
        return { data: { published: true }, code: 'flushed' };
      }
      const { jetstream } = await import('@nats-io/jetstream');
      try {
        const ack = await jetstream(nc).publish(config.subject, payload, {
          msgID: ctx.idempotencyKey,
          headers,
        });
        return {
          data: { published: true, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate },
          code: ack.duplicate ? 'duplicate' : 'ack',
        };
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        const message = String((error as Error)?.message ?? error);
        if (/no (stream|responders)|503/i.test(message)) {
          throw new LlmteamError(
            'LLMT_E_ACTION_FAILED',
            `action "${ctx.action}": no JetStream stream takes subject "${config.subject}"; add one or set jetstream: false`,
            { cause: error, retryable: false, details: { action: ctx.action, field: 'subject' } },
          );
        }
        throw lost(ctx.action, error);
      }
    },
  };
}
