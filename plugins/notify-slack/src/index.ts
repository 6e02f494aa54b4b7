import { createRequire } from 'node:module';
import { definePlugin, type LlmteamPlugin } from '@llmteam/core';
import { createSlackChannel, type SlackChannelOptions } from './slack-channel.js';

export * from './errors.js';
export * from './slack-channel.js';
export * from './slack-interaction.js';
export * from './slack-message.js';
export * from './slack-signature.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/**
 * The plugin: registers one Slack channel built from the config entry's options
 * ({@link SlackChannelOptions}).
 *
 * ```json
 * { "plugins": [["@llmteam/notify-slack", { "webhookUrl": "https://hooks.slack.com/services/..." }]] }
 * ```
 */
const plugin: LlmteamPlugin = definePlugin({
  name: '@llmteam/notify-slack',
  version,
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerChannel(createSlackChannel(api.options as SlackChannelOptions));
  },
});

export default plugin;
