/**
 * The config `pnpm start` uses when the working directory has none: the example segments'
 * model provider and tools. The `openai` provider talks to `OPENAI_BASE_URL` (any
 * OpenAI-compatible server; default https://api.openai.com/v1) with the model `OPENAI_MODEL`
 * (default gpt-4o-mini); its key is the secret `openai_api_key`, which `order-tools.ts`
 * reads from `OPENAI_API_KEY`. A local server given by `OPENAI_BASE_URL` alone is called
 * without a key. With neither variable set the gateway starts as usual, and a run of
 * `order_pipeline` fails at its first model call with `LLMT_E_OPENAI_API_KEY`.
 */
const localServerWithoutKey = Boolean(process.env.OPENAI_BASE_URL) && !process.env.OPENAI_API_KEY;

export default {
  plugins: [
    [
      '@llmteam/llm-openai',
      {
        name: 'openai',
        ...(process.env.OPENAI_BASE_URL ? { baseUrl: process.env.OPENAI_BASE_URL } : {}),
        model: process.env.OPENAI_MODEL || 'gpt-4o-mini',
        ...(localServerWithoutKey ? {} : { apiKeySecret: 'openai_api_key' }),
      },
    ],
    './order-tools.ts',
  ],
};
