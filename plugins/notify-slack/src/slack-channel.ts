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
 * Options of {@link createSlackChannel}. Give either `webhookUrl` (an incoming webhook) or
 * `botToken` + `channel` (`chat.postMessage`).
 */
export interface SlackChannelOptions extends RetrySettings {
  /** An incoming webhook URL (`https://hooks.slack.com/services/...`). @default undefined */
  webhookUrl?: string;
  /** A bot token (`xoxb-...`) with the `chat:write` scope, for `chat.postMessage`. @default undefined */
  botToken?: string;
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
  if (!options || (!options.webhookUrl && !options.botToken)) {
    throw fail(
      'Give either `webhookUrl` (an incoming webhook) or `botToken` and `channel` (chat.postMessage).',
    );
  }
  if (options.webhookUrl && options.botToken) {
    throw fail('Give `webhookUrl` or `botToken`, not both: the channel would not know which to use.');
  }
  if (options.webhookUrl !== undefined && !/^https?:\/\//.test(options.webhookUrl)) {
    throw fail('Option `webhookUrl` must be an http(s) URL.');
  }
  if (options.botToken && !options.channel) {
    throw fail(
      'Option `channel` is required with `botToken`: the id or name of the Slack channel to post to.',
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
      const viaApi = Boolean(options.botToken);
      const body = JSON.stringify(
        viaApi ? { channel: options.channel, ...message, unfurl_links: false, unfurl_media: false } : message,
      );
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      if (viaApi) headers.authorization = `Bearer ${options.botToken}`;
      const result = await postWithRetry({
        url: viaApi ? `${apiBaseUrl}/chat.postMessage` : (options.webhookUrl as string),
        body,
        headers: () => headers,
        ...retrySettings(options),
        signal: ctx.signal,
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
          error: `slack: chat.postMessage: ${answer.error ?? 'unknown error'}`,
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
