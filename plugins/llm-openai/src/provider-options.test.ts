import { readFileSync } from 'node:fs';
import type { LlmRequest } from '@llmteam/core';
import { useOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createOpenAiProvider, type OpenAiProviderOptions } from './openai-provider.js';

const llm = useOpenAiTestServer({ beforeAll, afterAll, beforeEach });

const secrets = { get: async (name: string) => (name === 'azure_key' ? 'az-secret' : undefined) };
const root = () => llm.url.replace(/\/v1$/, '');
const ask = (extra: Partial<LlmRequest> = {}): LlmRequest => ({
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'Price A1' }],
  ...extra,
});

describe('Azure OpenAI', () => {
  test('calls the deployment path with api-version and sends the key as api-key, not Authorization', async () => {
    llm.script({ text: 'a' }, { text: 'b' });
    const named = createOpenAiProvider(
      {
        baseUrl: root(),
        apiKeySecret: 'azure_key',
        azure: { apiVersion: '2024-10-21', deployment: 'prices' },
      },
      { secrets },
    );
    expect((await named.chat(ask())).content).toBe('a');
    // Without a deployment, the step's model names it.
    const byModel = createOpenAiProvider(
      { baseUrl: `${root()}/`, apiKeySecret: 'azure_key', azure: { apiVersion: '2024-10-21' } },
      { secrets },
    );
    expect((await byModel.chat(ask({ model: 'gpt-4o-mini', onDelta: () => {} }))).content).toBe('b');
    expect(
      llm.requests.map((r) => [
        r.path,
        r.query['api-version'],
        r.headers['api-key'],
        r.headers.authorization,
      ]),
    ).toEqual([
      ['/openai/deployments/prices/chat/completions', '2024-10-21', 'az-secret', undefined],
      ['/openai/deployments/gpt-4o-mini/chat/completions', '2024-10-21', 'az-secret', undefined],
    ]);
  });

  test('azure without apiVersion or without baseUrl is refused when the provider is made, naming the option', () => {
    expect(() => createOpenAiProvider({ baseUrl: root(), azure: {} as never })).toThrow(
      expect.objectContaining({
        code: 'LLMT_E_OPENAI_OPTIONS',
        message: expect.stringContaining('azure.apiVersion'),
      }),
    );
    expect(() => createOpenAiProvider({ azure: { apiVersion: '2024-10-21' } })).toThrow(
      expect.objectContaining({ code: 'LLMT_E_OPENAI_OPTIONS', message: expect.stringContaining('baseUrl') }),
    );
  });
});

describe('the token limit field', () => {
  test('reasoning models get max_completion_tokens, others max_tokens; the option overrides both', async () => {
    llm.script({ text: '1' }, { text: '2' }, { text: '3' }, { text: '4' });
    const auto = createOpenAiProvider({ baseUrl: llm.url });
    await auto.chat(ask({ model: 'o3-mini', maxTokens: 50 }));
    await auto.chat(ask({ model: 'gpt-4o', maxTokens: 60 }));
    await auto.chat(ask({ model: 'gpt-5-mini', maxTokens: 70 }));
    await createOpenAiProvider({ baseUrl: llm.url, maxTokensField: 'max_completion_tokens' }).chat(
      ask({ model: 'llama3.1', maxTokens: 80 }),
    );
    expect(llm.requests.map((r) => [r.body.max_tokens, r.body.max_completion_tokens])).toEqual([
      [undefined, 50],
      [60, undefined],
      [undefined, 70],
      [undefined, 80],
    ]);
  });
});

describe('stream usage', () => {
  // Like servers that know no stream_options: they refuse the request.
  const strict = (request: { body: Record<string, unknown> }) =>
    'stream_options' in request.body
      ? { status: 400, message: 'Unrecognized request argument supplied: stream_options' }
      : { text: 'streamed', usage: { inputTokens: 9, outputTokens: 3 } };

  test('is asked for by default; streamUsage: false leaves stream_options out for servers that refuse it', async () => {
    llm.script(strict, strict);
    await expect(
      createOpenAiProvider({ baseUrl: llm.url }).chat(ask({ onDelta: () => {} })),
    ).rejects.toMatchObject({
      code: 'LLMT_E_LLM_BAD_REQUEST',
    });
    const answer = await createOpenAiProvider({ baseUrl: llm.url, streamUsage: false }).chat(
      ask({ onDelta: () => {} }),
    );
    expect(answer.content).toBe('streamed');
    // Without stream_options the server sends no usage chunk.
    expect(answer.usage).toEqual({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 });
    expect(llm.requests.map((r) => r.body.stream_options)).toEqual([{ include_usage: true }, undefined]);
  });
});

describe('the README config examples', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const entries = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map(
    (m) => (JSON.parse(m[1]!) as { plugins: Array<[string, OpenAiProviderOptions]> }).plugins[0]![1],
  );

  test('each options object works against the test server (with its baseUrl pointed there)', async () => {
    const keys = { get: async () => 'sk-readme' };
    const [plain, azure, reasoning, local] = entries;
    expect([plain?.name, azure?.name, reasoning?.name, local?.name]).toEqual([
      'openai',
      'azure',
      'openai',
      'local',
    ]);
    for (const options of [azure!, reasoning!, local!]) {
      llm.script((request) =>
        request.body.stream_options && options.streamUsage === false ? { status: 400 } : { text: 'ok' },
      );
      const baseUrl = options.azure ? root() : llm.url;
      const answer = await createOpenAiProvider({ ...options, baseUrl }, { secrets: keys }).chat(
        ask({ model: options.model ?? 'gpt-4o', maxTokens: 10, onDelta: () => {} }),
      );
      expect(answer.content).toBe('ok');
    }
    expect(
      llm.requests.map((r) => [
        r.path,
        r.body.max_completion_tokens ?? r.body.max_tokens,
        r.body.stream_options,
      ]),
    ).toEqual([
      ['/openai/deployments/gpt-4o-prod/chat/completions', 10, { include_usage: true }],
      ['/v1/chat/completions', 10, { include_usage: true }],
      ['/v1/chat/completions', 10, undefined],
    ]);
    expect(llm.requests[1]?.body.max_completion_tokens).toBe(10);
  });
});
