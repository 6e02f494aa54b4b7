import { createRequire } from 'node:module';
import { definePlugin, type LlmteamPlugin } from '@llmteam/core';
import { createOpenAiProvider, type OpenAiProviderOptions } from './openai-provider.js';

export * from './errors.js';
export * from './openai-provider.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/**
 * The plugin: registers one OpenAI-compatible provider built from the config entry's
 * options ({@link OpenAiProviderOptions}); list it several times with different `name`s
 * for several servers.
 *
 * ```json
 * { "plugins": [["@llmteam/llm-openai", { "name": "openai", "baseUrl": "http://127.0.0.1:8080/v1", "apiKeySecret": "openai_key" }]] }
 * ```
 */
const plugin: LlmteamPlugin = definePlugin({
  name: '@llmteam/llm-openai',
  version,
  apiVersion: '^1.0.0',
  setup(api) {
    api.registerLlmProvider(
      createOpenAiProvider(api.options as OpenAiProviderOptions, { secrets: api.secrets }),
    );
  },
});

export default plugin;
