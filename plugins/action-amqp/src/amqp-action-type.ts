import {
  type ActionConfig,
  type ActionTypeContext,
  type ActionTypeHandler,
  isLlmteamError,
  LlmteamError,
} from '@llmteam/core';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';

/** Options of the AMQP `message_queue` action type (the plugin options). */
export interface AmqpActionTypeOptions {
  /** Broker URL without a password in it, e.g. `amqp://127.0.0.1`; or use `url_secret`. @default "amqp://127.0.0.1" */
  url?: string;
  /** Name of the secret holding the broker URL (with credentials). */
  url_secret?: string;
}

interface AmqpActionConfig extends ActionConfig {
  broker: 'amqp';
  /** Exchange to publish to; `""` is the default exchange (routing key = queue name). @default "" */
  exchange?: string;
  routing_key: string;
  /** `publish` waits for the broker's confirm; `request` waits for the reply. @default "publish" */
  mode?: 'publish' | 'request';
  /** Messages survive a broker restart. @default true */
  persistent?: boolean;
  headers?: Record<string, string>;
}

interface Link {
  model: ChannelModel;
  confirm: ConfirmChannel;
  /** Consumes direct replies (`amq.rabbitmq.reply-to`); created on the first request. */
  replies?: Promise<Channel>;
  pending: Map<string, { resolve: (m: ConsumeMessage) => void; reject: (e: unknown) => void }>;
  closed: boolean;
}

const RETRY_AFTER_LOSS = /closed|ECONNREFUSED|ECONNRESET|EPIPE|Connection|socket|heartbeat/i;

function unavailable(action: string, error: unknown): LlmteamError {
  if (isLlmteamError(error)) return error;
  return new LlmteamError(
    'LLMT_E_ACTION_UNAVAILABLE',
    `action "${action}": the AMQP broker cannot be reached or dropped the connection (${(error as Error)?.message ?? error}); the step retries when it is back`,
    { cause: error, retryable: true, details: { action, field: 'broker' } },
  );
}

/**
 * The `message_queue` action type for RabbitMQ (any AMQP 0-9-1 broker, via `amqplib`):
 * `publish` sends the input as JSON and resolves once the broker confirms it; `request`
 * sends it with a correlation id to the direct reply-to queue and resolves with the reply.
 * The message id is the call's idempotency key, so consumers can drop a re-sent message.
 */
export function createAmqpActionType(options: AmqpActionTypeOptions = {}): ActionTypeHandler {
  let link: Promise<Link> | undefined;
  let seq = 0;

  const open = (ctx: ActionTypeContext): Promise<Link> => {
    link ??= (async () => {
      const amqp = await import('amqplib');
      const url = options.url_secret
        ? await ctx.secrets.get(options.url_secret, 'url_secret')
        : (options.url ?? 'amqp://127.0.0.1');
      const model = await (amqp.default ?? amqp).connect(url);
      const confirm = await model.createConfirmChannel();
      const state: Link = { model, confirm, pending: new Map(), closed: false };
      const lost = (error?: unknown) => {
        if (state.closed) return;
        state.closed = true;
        link = undefined;
        for (const p of state.pending.values()) p.reject(error ?? new Error('connection closed'));
        state.pending.clear();
      };
      model.on('error', lost);
      model.on('close', lost);
      confirm.on('error', lost);
      confirm.on('close', () => lost(new Error('channel closed')));
      return state;
    })();
    const current = link;
    current.catch(() => {
      if (link === current) link = undefined;
    });
    return current;
  };

  const replies = (state: Link): Promise<Channel> => {
    state.replies ??= (async () => {
      const channel = await state.model.createChannel();
      await channel.consume(
        'amq.rabbitmq.reply-to',
        (message) => {
          const id = message?.properties.correlationId as string | undefined;
          const waiter = id ? state.pending.get(id) : undefined;
          if (!waiter || !message) return;
          state.pending.delete(id!);
          waiter.resolve(message);
        },
        { noAck: true },
      );
      return channel;
    })();
    return state.replies;
  };

  return {
    type: 'message_queue',
    accepts: (config) => config.broker === 'amqp',
    configSchema: {
      type: 'object',
      required: ['broker', 'routing_key'],
      properties: {
        broker: { const: 'amqp' },
        exchange: { type: 'string' },
        routing_key: { type: 'string' },
        mode: { enum: ['publish', 'request'] },
        persistent: { type: 'boolean' },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    async close() {
      const current = link;
      link = undefined;
      const state = await current?.catch(() => undefined);
      if (state && !state.closed) {
        state.closed = true;
        await state.model.close().catch(() => undefined);
      }
    },
    async execute(input, ctx) {
      const config = ctx.config as AmqpActionConfig;
      const content = Buffer.from(JSON.stringify(input ?? null));
      const properties = {
        messageId: ctx.idempotencyKey,
        correlationId: ctx.correlationId,
        contentType: 'application/json',
        persistent: config.persistent ?? true,
        timestamp: Math.floor(ctx.clock.now() / 1000),
        headers: {
          ...(config.headers ?? {}),
          'x-tenant-id': ctx.tenantId,
          'x-correlation-id': ctx.correlationId,
          // W3C Trace Context over AMQP: the consumer continues the call's trace.
          ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
          ...(ctx.tracestate ? { tracestate: ctx.tracestate } : {}),
        },
      };
      let state: Link;
      try {
        state = await open(ctx);
      } catch (error) {
        throw unavailable(ctx.action, error);
      }
      if ((config.mode ?? 'publish') === 'publish') {
        // Registered as pending so that a lost connection rejects the wait at once.
        const key = `publish:${++seq}`;
        try {
          await new Promise<void>((resolve, reject) => {
            const settle = (error: unknown) => (error ? reject(error) : resolve());
            state.pending.set(key, { resolve: () => undefined, reject });
            state.confirm.publish(config.exchange ?? '', config.routing_key, content, properties, settle);
          });
        } catch (error) {
          if (RETRY_AFTER_LOSS.test(String((error as Error)?.message ?? error)) || state.closed)
            throw unavailable(ctx.action, error);
          throw new LlmteamError(
            'LLMT_E_ACTION_FAILED',
            `action "${ctx.action}": the broker refused the message (${(error as Error)?.message ?? error})`,
            { cause: error, retryable: true, details: { action: ctx.action, field: 'exchange' } },
          );
        } finally {
          state.pending.delete(key);
        }
        return { data: { published: true, message_id: ctx.idempotencyKey }, code: 'ack' };
      }
      // Request / reply: a fresh correlation id routes the reply back to this call.
      const replyId = `${ctx.idempotencyKey}#${++seq}`;
      try {
        const channel = await replies(state);
        const reply = await new Promise<ConsumeMessage>((resolve, reject) => {
          state.pending.set(replyId, { resolve, reject });
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
          channel.publish(config.exchange ?? '', config.routing_key, content, {
            ...properties,
            persistent: false,
            correlationId: replyId,
            replyTo: 'amq.rabbitmq.reply-to',
          });
        });
        const text = reply.content.toString('utf8');
        let data: unknown = text;
        try {
          data = JSON.parse(text);
        } catch {
          // Not JSON: the text is the reply.
        }
        return { data, code: 'reply' };
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        throw unavailable(ctx.action, error);
      } finally {
        state.pending.delete(replyId);
      }
    },
  };
}
