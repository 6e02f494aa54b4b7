import { createRequire } from 'node:module';
import { definePlugin, type LlmteamPlugin } from '@llmteam/core';
import { createWebhookChannel, type WebhookChannelOptions } from './webhook-channel.js';

export * from './errors.js';
export * from './post-with-retry.js';
export * from './standard-webhooks.js';
export * from './webhook-channel.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/**
 * The plugin: registers one Standard Webhooks channel built from the config entry's
 * options ({@link WebhookChannelOptions}).
 *
 * ```json
 * { "plugins": [["@llmteam/notify-webhook", { "url": "https://hooks.example.com/llmteam", "secret": "whsec_..." }]] }
 * ```
 */
const plugin: LlmteamPlugin = definePlugin({
  name: '@llmteam/notify-webhook',
  version,
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerChannel(createWebhookChannel(api.options as unknown as WebhookChannelOptions));
  },
});

export default plugin;
