import { createRequire } from 'node:module';
import { definePlugin, type LlmteamPlugin } from '@llmteam/core';
import { createSlackChannel, type SlackChannelOptions } from './slack-channel.js';
import { type SlackInteractionsRouteOptions, slackInteractionsRoute } from './slack-interactions-route.js';

export * from './errors.js';
export * from './slack-channel.js';
export * from './slack-interaction.js';
export * from './slack-interactions-route.js';
export * from './slack-message.js';
export * from './slack-signature.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Options of the plugin: the channel's, plus the interactivity callback's. */
export interface SlackPluginOptions
  extends SlackChannelOptions,
    Partial<Pick<SlackInteractionsRouteOptions, 'resolveActor' | 'path'>> {
  /**
   * The Slack app's signing secret; enables `POST /slack/interactions` (the Approve / Reject
   * buttons) on the gateway. @default process.env.LLMTEAM_SLACK_SIGNING_SECRET
   */
  signingSecret?: string;
}

/**
 * The plugin: registers one Slack channel built from the config entry's options
 * ({@link SlackChannelOptions}), and with a `signingSecret` the interactivity callback
 * route the gateway serves. With only a `signingSecret`, it registers just the route.
 *
 * ```json
 * { "plugins": [["@llmteam/notify-slack", { "webhookUrl": "https://hooks.slack.com/services/...", "signingSecret": "..." }]] }
 * ```
 */
const plugin: LlmteamPlugin = definePlugin({
  name: '@llmteam/notify-slack',
  version,
  apiVersion: '^1.0.0',
  setup(api) {
    const options = api.options as SlackPluginOptions;
    const signingSecret = options.signingSecret ?? process.env.LLMTEAM_SLACK_SIGNING_SECRET;
    const hasChannel = (['webhookUrl', 'webhookUrlSecret', 'botToken', 'botTokenSecret'] as const).some(
      (key) => options[key] !== undefined,
    );
    if (hasChannel || !signingSecret) api.registerChannel(createSlackChannel(channelOptions(options)));
    if (signingSecret) {
      api.registerRoute(
        slackInteractionsRoute({
          signingSecret,
          ...(options.resolveActor ? { resolveActor: options.resolveActor } : {}),
          ...(options.path ? { path: options.path } : {}),
        }),
      );
    }
  },
});

export default plugin;

/** The channel's own options, without the route's. */
function channelOptions(options: SlackPluginOptions): SlackChannelOptions {
  const { signingSecret: _secret, resolveActor: _actor, path: _path, ...channel } = options;
  return channel;
}
