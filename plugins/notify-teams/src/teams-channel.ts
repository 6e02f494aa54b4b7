import {
  type ChannelContext,
  checkChannelPriorities,
  createResponseLink,
  DEFAULT_RESPONSE_LINK_TTL_SECONDS,
  type DeliveryResult,
  defineChannel,
  type InteractionPriority,
  type Notification,
  type NotificationChannel,
} from '@llmteam/core';
import { postWithRetry, type RetrySettings, retrySettings } from '@llmteam/notify-webhook';
import { teamsError } from './errors.js';
import { type TeamsRecipientLinks, teamsCard, teamsMessage } from './teams-card.js';

/** Options of {@link createTeamsChannel}. */
export interface TeamsChannelOptions extends RetrySettings {
  /** The Teams incoming webhook URL (a Workflows or connector webhook of the channel). */
  webhookUrl: string;
  /**
   * Secret signing the Approve / Reject links when the notification carries no `signLink`
   * (the gateway's own signer, preferred). Without either, the card has no answer buttons.
   * @default undefined
   */
  linkSecret?: string;
  /** Gateway URL used for links when the notification's links carry none. @default undefined */
  baseUrl?: string;
  /** Lifetime of links signed with `linkSecret`, in seconds. @default 604800 (7 days) */
  linkTtlSeconds?: number;
  /** Channel name, unique among the gateway's channels. @default 'teams' */
  name?: string;
  /** Priorities this channel receives; empty or missing: all. @default undefined (all) */
  priorities?: InteractionPriority[];
  /** Current time in ms (link expiry). @default Date.now */
  now?: () => number;
}

/**
 * A channel that posts an Adaptive Card to a Microsoft Teams incoming webhook, with
 * `Action.OpenUrl` Approve / Reject buttons that open signed one-time links (one pair per
 * recipient, since each link answers as its recipient). Network errors, timeouts, 5xx and
 * 429 are retried with exponential back-off.
 */
export function createTeamsChannel(options: TeamsChannelOptions): NotificationChannel {
  const fail = (message: string) => teamsError('LLMT_E_TEAMS_OPTIONS', message);
  if (!options || typeof options.webhookUrl !== 'string' || !/^https?:\/\//.test(options.webhookUrl)) {
    throw fail('Option `webhookUrl` must be the http(s) URL of a Teams incoming webhook.');
  }
  const ttl = options.linkTtlSeconds ?? DEFAULT_RESPONSE_LINK_TTL_SECONDS;
  if (!Number.isFinite(ttl) || ttl <= 0)
    throw fail('Option `linkTtlSeconds` must be a positive number of seconds.');
  const priorities = checkChannelPriorities(options.priorities, fail);
  const name = options.name ?? 'teams';
  const now = options.now ?? Date.now;

  return defineChannel({
    name,
    ...(priorities ? { priorities } : {}),
    async send(notification: Notification, ctx: ChannelContext): Promise<DeliveryResult> {
      const linkOptions = {
        secret: options.linkSecret,
        baseUrl: options.baseUrl,
        ttlSeconds: ttl,
        now: now(),
      };
      // A Teams channel is seen by all its members: a link that answers as one person can
      // go there only when that person is the request's sole possible answerer. Requests for
      // several people, a group, or a quorum get an Open button instead.
      const links: TeamsRecipientLinks[] = [];
      const { users, groups } = notification.recipients;
      const quorum = notification.interaction.settings.requiredApprovers !== undefined;
      if (users.length === 1 && groups.length === 0 && !quorum) {
        const [recipient] = users;
        const approve = createResponseLink(notification, recipient, 'approve', linkOptions);
        const reject = createResponseLink(notification, recipient, 'reject', linkOptions);
        if (approve && reject) links.push({ recipient, approve, reject });
      }
      const body = JSON.stringify(teamsMessage(teamsCard(notification, links)));
      const result = await postWithRetry({
        url: options.webhookUrl,
        body,
        headers: () => ({ 'content-type': 'application/json' }),
        ...retrySettings(options),
        signal: ctx.signal,
      });
      if (!result.ok) {
        ctx.logger.warn(
          { channel: name, attempts: result.attempts, error: result.error },
          'teams delivery failed',
        );
        return { ok: false, attempts: result.attempts, error: `teams: ${result.error ?? 'delivery failed'}` };
      }
      return { ok: true, attempts: result.attempts };
    },
  });
}
