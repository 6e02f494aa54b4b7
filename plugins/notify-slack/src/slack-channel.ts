import {
  type ChannelContext,
  checkChannelPriorities,
  type DeliveryResult,
  defineChannel,
  type InteractionPriority,
  type Notification,
  type NotificationChannel,
} from '@llmteam/core';
import { postWithRetry, type RetrySettings, retrySettings } from '@llmteam/notify-webhook';
import { slackError } from './errors.js';
import { slackMessage } from './slack-message.js';

/**
 * Options of {@link createSlackChannel}. Give either an incoming webhook (`webhookUrl` or
 * `webhookUrlSecret`) or a bot token (`botToken` or `botTokenSecret`) + `channel`
 * (`chat.postMessage`). The `...Secret` options name a secret in the host's secrets
 * provider, read for each notification's tenant: the value never sits in the config, and
 * the engine scrubs it from everything that leaves it.
 */
export interface SlackChannelOptions extends RetrySettings {
  /** An incoming webhook URL (`https://hooks.slack.com/services/...`). @default undefined */
  webhookUrl?: string;
  /** Name of the secret holding the incoming webhook URL; instead of `webhookUrl`. @default undefined */
  webhookUrlSecret?: string;
  /** A bot token (`xoxb-...`) with the `chat:write` scope, for `chat.postMessage`. @default undefined */
  botToken?: string;
  /** Name of the secret holding the bot token; instead of `botToken`. @default undefined */
  botTokenSecret?: string;
  /** Channel id or name to post to with `botToken`. @default undefined */
  channel?: string;
  /** Base URL of the Slack Web API (tests point it at a local server). @default 'https://slack.com/api' */
  apiBaseUrl?: string;
  /** Channel name, unique among the gateway's channels. @default 'slack' */
  name?: string;
  /** Priorities this channel receives; empty or missing: all. @default undefined (all) */
  priorities?: InteractionPriority[];
}

/**
 * A channel that posts a Block Kit message with Approve / Reject buttons to Slack, through
 * an incoming webhook or `chat.postMessage`. Network errors, 5xx and 429 (Slack's rate
 * limit, with `Retry-After`) are retried with exponential back-off. The button clicks come
 * back to the app's Interactivity Request URL: verify them with `verifySlackSignature` and
 * read them with `parseSlackInteraction`.
 */
export function createSlackChannel(options: SlackChannelOptions): NotificationChannel {
  const fail = (message: string) => slackError('LLMT_E_SLACK_OPTIONS', message);
  const given = (['webhookUrl', 'webhookUrlSecret', 'botToken', 'botTokenSecret'] as const).filter(
    (key) => options?.[key] !== undefined,
  );
  if (!options || given.length === 0) {
    throw fail(
      'Give either `webhookUrl` / `webhookUrlSecret` (an incoming webhook) or `botToken` / `botTokenSecret` and `channel` (chat.postMessage).',
    );
  }
  if (given.length > 1) {
    throw fail(
      `Give one of \`webhookUrl\`, \`webhookUrlSecret\`, \`botToken\` and \`botTokenSecret\`, ${given.length === 2 ? 'not both' : 'not all of'} ${given.map((k) => `\`${k}\``).join(' and ')}: the channel would not know which to use.`,
    );
  }
  for (const key of ['webhookUrlSecret', 'botTokenSecret'] as const) {
    const name = options[key];
    if (name !== undefined && (typeof name !== 'string' || name.length === 0))
      throw fail(`Option \`${key}\` must be the name of a secret in the secrets provider.`);
  }
  if (options.webhookUrl !== undefined && !/^https?:\/\//.test(options.webhookUrl)) {
    throw fail('Option `webhookUrl` must be an http(s) URL.');
  }
  const viaApi = options.botToken !== undefined || options.botTokenSecret !== undefined;
  if (viaApi && !options.channel) {
    throw fail(
      `Option \`channel\` is required with \`${options.botToken !== undefined ? 'botToken' : 'botTokenSecret'}\`: the id or name of the Slack channel to post to.`,
    );
  }
  const apiBaseUrl = (options.apiBaseUrl ?? 'https://slack.com/api').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(apiBaseUrl)) throw fail('Option `apiBaseUrl` must be an http(s) URL.');
  const priorities = checkChannelPriorities(options.priorities, fail);
  const name = options.name ?? 'slack';

  return defineChannel({
    name,
    ...(priorities ? { priorities } : {}),
    async send(notification: Notification, ctx: ChannelContext): Promise<DeliveryResult> {
      const message = slackMessage(notification);
      const body = JSON.stringify(
        viaApi ? { channel: options.channel, ...message, unfurl_links: false, unfurl_media: false } : message,
      );
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      let url = `${apiBaseUrl}/chat.postMessage`;
      if (viaApi) {
        const token = options.botTokenSecret
          ? await ctx.secret(options.botTokenSecret, 'botTokenSecret')
          : options.botToken;
        headers.authorization = `Bearer ${token}`;
      } else if (options.webhookUrlSecret) {
        url = await ctx.secret(options.webhookUrlSecret, 'webhookUrlSecret');
        if (!/^https?:\/\//.test(url))
          throw fail(
            `The secret named by \`webhookUrlSecret\` ("${options.webhookUrlSecret}") must hold an http(s) URL.`,
          );
      } else url = options.webhookUrl as string;
      const result = await postWithRetry({
        url,
        body,
        headers: () => headers,
        ...retrySettings(options),
        signal: ctx.signal,
        redact: ctx.redact,
      });
      if (!result.ok) {
        ctx.logger.warn(
          { channel: name, attempts: result.attempts, error: result.error },
          'slack delivery failed',
        );
        return { ok: false, attempts: result.attempts, error: `slack: ${result.error ?? 'delivery failed'}` };
      }
      if (!viaApi) return { ok: true, attempts: result.attempts };
      // chat.postMessage answers 200 even on failure; the verdict is in the body.
      let answer: { ok?: boolean; ts?: string; error?: string; channel?: string };
      try {
        answer = JSON.parse(result.body ?? '');
      } catch {
        return { ok: false, attempts: result.attempts, error: 'slack: chat.postMessage did not answer JSON' };
      }
      if (!answer.ok) {
        ctx.logger.warn({ channel: name, error: answer.error }, 'slack chat.postMessage refused the message');
        return {
          ok: false,
          attempts: result.attempts,
          error: ctx.redact(`slack: chat.postMessage: ${answer.error ?? 'unknown error'}`),
        };
      }
      return {
        ok: true,
        attempts: result.attempts,
        ...(answer.ts ? { messageId: answer.ts } : {}),
        to: [answer.channel ?? (options.channel as string)],
      };
    },
  });
}
