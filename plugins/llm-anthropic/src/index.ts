import { createRequire } from 'node:module';
import { definePlugin, type LlmteamPlugin } from '@llmteam/core';
import { type AnthropicProviderOptions, createAnthropicProvider } from './anthropic-provider.js';

export * from './anthropic-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/**
 * The plugin: registers one Anthropic Messages provider built from the config entry's
 * options ({@link AnthropicProviderOptions}).
 *
 * ```json
 * { "plugins": [["@llmteam/llm-anthropic", { "name": "anthropic", "model": "claude-sonnet-4-5", "apiKeySecret": "anthropic_key" }]] }
 * ```
 */
const plugin: LlmteamPlugin = definePlugin({
  name: '@llmteam/llm-anthropic',
  version,
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerLlmProvider(
      createAnthropicProvider(api.options as AnthropicProviderOptions, {
        secrets: api.secrets,
        redact: (text) => api.redact(text),
      }),
    );
  },
});

export default plugin;
