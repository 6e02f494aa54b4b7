import { randomUUID } from 'node:crypto';
import {
  type ChannelContext,
  checkChannelPriorities,
  type DeliveryResult,
  defineChannel,
  type InteractionPriority,
  type Notification,
  type NotificationChannel,
} from '@llmteam/core';
import { webhookError } from './errors.js';
import { postWithRetry, type RetrySettings, retrySettings } from './post-with-retry.js';
import { signWebhook, webhookSecretBytes } from './standard-webhooks.js';

/** Options of {@link createWebhookChannel}. */
export interface WebhookChannelOptions extends RetrySettings {
  /** Endpoint the notifications are POSTed to. */
  url: string;
  /**
   * Standard Webhooks secret: `whsec_<base64>` (the spec's form) or a raw string. Give it
   * or `secretName`. @default undefined
   */
  secret?: string;
  /**
   * Name of the Standard Webhooks secret in the host's secrets provider (read for each
   * notification's tenant, so a rotated secret is used from the next message on); instead
   * of `secret`. @default undefined
   */
  secretName?: string;
  /**
   * Headers whose values are secrets: header name -> secret name in the host's secrets
   * provider, e.g. `{ "authorization": "hooks_bearer" }` (the secret holds the whole value,
   * `Bearer ...`). @default {}
   */
  headerSecrets?: Record<string, string>;
  /** Channel name, unique among the gateway's channels. @default 'webhook' */
  name?: string;
  /** Priorities this channel receives; empty or missing: all. @default undefined (all) */
  priorities?: InteractionPriority[];
  /** Extra headers sent with every request (e.g. an API key of the receiver). @default {} */
  headers?: Record<string, string>;
  /** Current time in ms (signing timestamps). @default Date.now */
  now?: () => number;
  /** Makes the `webhook-id` of a message (kept across its retries). @default `msg_<uuid>` */
  generateId?: () => string;
}

/** The JSON body of a notification webhook. */
export interface WebhookPayload {
  /** `interaction.requested`, `interaction.escalated`, `interaction.sla_warning`, ... */
  type: `interaction.${Notification['reason']}`;
  /** When the message was made (ISO 8601). */
  timestamp: string;
  tenant_id: string;
  interaction: {
    id: string;
    run_id: string;
    step_id: string;
    type: string;
    status: string;
    priority: string;
    title: string;
    description?: string;
    assignees: { users: string[]; groups: string[] };
    options?: unknown[];
    deadline?: string;
    escalation_level: number;
    revision: number;
    created_at: string;
  };
  recipients: { users: string[]; groups: string[] };
  links: { base_url?: string; respond_url?: string; view_url?: string };
}

/**
 * The body sent for a notification. Only the fields a receiver needs: the interaction's
 * free-form `settings` and its responses stay out, so nothing internal leaves the gateway.
 */
export function webhookPayload(notification: Notification, timestamp: string): WebhookPayload {
  const i = notification.interaction;
  return {
    type: `interaction.${notification.reason}`,
    timestamp,
    tenant_id: notification.tenantId,
    interaction: {
      id: i.interactionId,
      run_id: i.runId,
      step_id: i.stepId,
      type: i.type,
      status: i.status,
      priority: i.priority,
      title: i.title,
      ...(i.description === undefined ? {} : { description: i.description }),
      assignees: i.assignees,
      ...(i.options === undefined ? {} : { options: i.options }),
      ...(i.deadline === undefined ? {} : { deadline: i.deadline }),
      escalation_level: i.escalationLevel,
      revision: i.revision,
      created_at: i.createdAt,
    },
    recipients: notification.recipients,
    links: {
      ...(notification.links.baseUrl ? { base_url: notification.links.baseUrl } : {}),
      ...(notification.links.respondUrl ? { respond_url: notification.links.respondUrl } : {}),
      ...(notification.links.viewUrl ? { view_url: notification.links.viewUrl } : {}),
    },
  };
}

/**
 * A channel that POSTs each notification as JSON, signed per the Standard Webhooks spec
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`), retrying with
 * exponential back-off on network errors, timeouts, 5xx and 429. The `webhook-id` stays
 * the same across retries, so receivers can drop duplicates (delivery is at least once).
 */
export function createWebhookChannel(options: WebhookChannelOptions): NotificationChannel {
  const fail = (message: string) => webhookError('LLMT_E_WEBHOOK_OPTIONS', message);
  if (!options || typeof options.url !== 'string' || !/^https?:\/\//.test(options.url)) {
    throw fail('Option `url` must be an http(s) URL of the endpoint that receives notifications.');
  }
  if (options.secret !== undefined && options.secretName !== undefined) {
    throw fail('Give `secret` or `secretName`, not both: the channel would not know which to sign with.');
  }
  if (options.secretName !== undefined) {
    if (typeof options.secretName !== 'string' || options.secretName.length === 0)
      throw fail('Option `secretName` must be the name of a secret in the secrets provider.');
  } else if (typeof options.secret !== 'string') {
    throw fail(
      'Option `secret` or `secretName` is required: a Standard Webhooks secret (`whsec_<base64>` or a raw string), or the name of one in the secrets provider.',
    );
  } else webhookSecretBytes(options.secret);
  const headerSecrets = options.headerSecrets ?? {};
  if (typeof headerSecrets !== 'object' || headerSecrets === null || Array.isArray(headerSecrets))
    throw fail(
      'Option `headerSecrets` must map header names to secret names, e.g. { "authorization": "hooks_bearer" }.',
    );
  for (const [header, secret] of Object.entries(headerSecrets)) {
    if (typeof secret !== 'string' || secret.length === 0)
      throw fail(`Option \`headerSecrets.${header}\` must be the name of a secret in the secrets provider.`);
  }
  const priorities = checkChannelPriorities(options.priorities, fail);
  const now = options.now ?? Date.now;
  const generateId = options.generateId ?? (() => `msg_${randomUUID()}`);

  return defineChannel({
    name: options.name ?? 'webhook',
    ...(priorities ? { priorities } : {}),
    async send(notification: Notification, ctx: ChannelContext): Promise<DeliveryResult> {
      const id = generateId();
      const body = JSON.stringify(webhookPayload(notification, new Date(now()).toISOString()));
      const secret = options.secretName
        ? await ctx.secret(options.secretName, 'secretName')
        : (options.secret as string);
      if (options.secretName) webhookSecretBytes(secret);
      const secretHeaders: Record<string, string> = {};
      for (const [header, name] of Object.entries(headerSecrets))
        secretHeaders[header.toLowerCase()] = await ctx.secret(name, `headerSecrets.${header}`);
      const result = await postWithRetry({
        url: options.url,
        body,
        // Signed again on every attempt: the timestamp is the attempt's, so a retry after a
        // long back-off is not refused as stale.
        headers: () => {
          const timestamp = Math.floor(now() / 1000);
          return {
            'content-type': 'application/json',
            'user-agent': 'llmteam-notify-webhook',
            ...options.headers,
            ...secretHeaders,
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook({ id, timestamp, body, secret }),
          };
        },
        ...retrySettings(options),
        signal: ctx.signal,
        redact: ctx.redact,
      });
      if (!result.ok) {
        ctx.logger.warn(
          { channel: options.name ?? 'webhook', attempts: result.attempts, error: result.error },
          'webhook delivery failed',
        );
        return {
          ok: false,
          attempts: result.attempts,
          error: result.error ?? 'delivery failed',
          messageId: id,
        };
      }
      return { ok: true, attempts: result.attempts, messageId: id };
    },
  });
}
