import { createRequire } from 'node:module';
import { definePlugin, type LlmteamPlugin } from '@llmteam/core';
import { createEmailChannel, type EmailChannelOptions } from './email-channel.js';

export * from './email-channel.js';
export * from './email-message.js';
export * from './errors.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/**
 * The plugin: registers one email channel built from the config entry's options
 * ({@link EmailChannelOptions}).
 *
 * ```json
 * { "plugins": [["@llmteam/notify-email", { "transport": { "host": "smtp.example.com", "port": 587 }, "from": "approvals@example.com" }]] }
 * ```
 */
const plugin: LlmteamPlugin = definePlugin({
  name: '@llmteam/notify-email',
  version,
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerChannel(createEmailChannel(api.options as unknown as EmailChannelOptions));
  },
});

export default plugin;
