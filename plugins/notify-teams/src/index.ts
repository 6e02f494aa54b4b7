import { createRequire } from 'node:module';
import { definePlugin, type LlmteamPlugin } from '@llmteam/core';
import { createTeamsChannel, type TeamsChannelOptions } from './teams-channel.js';

export * from './errors.js';
export * from './teams-card.js';
export * from './teams-channel.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/**
 * The plugin: registers one Teams channel built from the config entry's options
 * ({@link TeamsChannelOptions}).
 *
 * ```json
 * { "plugins": [["@llmteam/notify-teams", { "webhookUrl": "https://example.webhook.office.com/..." }]] }
 * ```
 */
const plugin: LlmteamPlugin = definePlugin({
  name: '@llmteam/notify-teams',
  version,
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerChannel(createTeamsChannel(api.options as unknown as TeamsChannelOptions));
  },
});

export default plugin;
