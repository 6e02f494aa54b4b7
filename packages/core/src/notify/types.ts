import type { Logger } from '../catalog/types.js';
import type { InteractionPriority, InteractionRecord } from '../store/types.js';

import type { NotificationReason } from '../worktrail/event-types.js';

export type { NotificationReason };

/** Everything a channel needs to tell a person about a request. */
export interface Notification {
  tenantId: string;
  reason: NotificationReason;
  /** The interaction, without sealed fields. */
  interaction: InteractionRecord;
  /** Who should hear about it: the current assignees (users and groups). */
  recipients: { users: string[]; groups: string[] };
  /**
   * Where to answer. `baseUrl` is the gateway's public URL (when configured); `respondUrl`
   * is its signed-link endpoint for this request.
   */
  links: { baseUrl?: string; respondUrl?: string; viewUrl?: string };
  /** Sign a one-time answer token for (recipient, action); channels put it in links they send. */
  signLink?: (recipient: string, action: 'approve' | 'reject') => string;
}

/** What a channel reports back; recorded in an `interaction.notified` event. */
export interface DeliveryResult {
  ok: boolean;
  /** Channel-specific id of the message (e.g. SMTP message id, Slack `ts`). */
  messageId?: string;
  /** Number of attempts the channel made. @default 1 */
  attempts?: number;
  error?: string;
  /** Recipient addresses the message went to. */
  to?: string[];
}

/**
 * What a channel's `send` gets besides the notification: a logger, an abort signal, the
 * engine's redaction and its secrets.
 */
export interface ChannelContext {
  /** Logs through the engine's logger: resolved secrets are scrubbed from what it writes. */
  logger: Logger;
  /** Aborted when the engine stops waiting for the channel (its 15 s limit). */
  signal: AbortSignal;
  /**
   * `text` with every secret the engine resolved (in every encoded form) replaced by
   * `"[secret]"`. Scrub what a far side answered with it before cutting it short: a secret
   * cut in two is no longer recognisable, and its first half would leave in the result.
   */
  redact(text: string): string;
  /**
   * Reads secret `name` for the notification's tenant through the engine's secrets
   * providers (so a channel takes secret names in its options, never values); the value is
   * scrubbed from everything that leaves the engine from then on. A secret no provider has
   * rejects with `LLMT_E_SECRET_NOT_FOUND`, naming the channel, `field` (the option that
   * names it) and where the secret was looked for.
   */
  secret(name: string, field: string): Promise<string>;
}

/** A notification channel (webhook, Slack, email, Teams, ...). */
export interface NotificationChannel {
  /** Unique channel name, e.g. `slack` or `email-ops`. */
  name: string;
  /**
   * Priorities this channel receives; an empty or missing list receives all.
   * Routing is by priority: e.g. Slack for `high` and `critical`, email for all.
   */
  priorities?: Array<'low' | 'normal' | 'high' | 'critical'>;
  /** Delivers one notification. Throwing counts as a failed delivery; it never blocks the run. */
  send(notification: Notification, ctx: ChannelContext): Promise<DeliveryResult>;
  /** Releases connections (SMTP pools, ...). */
  close?(): Promise<void>;
}

/** Returns the channel unchanged, typed: the way to publish a channel. */
export function defineChannel(channel: NotificationChannel): NotificationChannel {
  return channel;
}

/** Every interaction priority, lowest first. */
export const INTERACTION_PRIORITIES: readonly InteractionPriority[] = ['low', 'normal', 'high', 'critical'];

/**
 * Checks a channel's `priorities` option (what channel plugins take from their config):
 * undefined, or a list of known priorities (duplicates dropped). Throws `makeError(message)`.
 */
export function checkChannelPriorities(
  priorities: unknown,
  makeError: (message: string) => Error,
): InteractionPriority[] | undefined {
  if (priorities === undefined) return undefined;
  if (!Array.isArray(priorities) || priorities.some((p) => !INTERACTION_PRIORITIES.includes(p))) {
    throw makeError(
      `Option \`priorities\` must be a list of ${INTERACTION_PRIORITIES.join(', ')}; got ${JSON.stringify(priorities)}.`,
    );
  }
  return [...new Set(priorities as InteractionPriority[])];
}
