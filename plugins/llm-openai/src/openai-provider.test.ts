import { isLlmError, type LlmDelta, type LlmError, type LlmRequest } from '@llmteam/core';
import { startSilentServer, useOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createOpenAiProvider } from './openai-provider.js';

const llm = useOpenAiTestServer({ beforeAll, afterAll, beforeEach });

const secrets = { get: async (name: string) => (name === 'openai_key' ? 'sk-test' : undefined) };
const provider = () => createOpenAiProvider({ baseUrl: llm.url, apiKeySecret: 'openai_key' }, { secrets });
const ask = (extra: Partial<LlmRequest> = {}): LlmRequest => ({
  model: 'gpt-test',
  messages: [
    { role: 'system', content: 'You price orders.' },
    { role: 'user', content: 'Price A1' },
  ],
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<LlmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLlmError(error)) throw new Error(`expected an LlmError, got ${String(error)}`);
  return error;
}

describe('OpenAI-compatible provider', () => {
  test('sends messages, tools, json_schema output and the key; reads text and usage', async () => {
    llm.script({ text: '{"price":12.5}', usage: { inputTokens: 20, outputTokens: 4, cachedInputTokens: 8 } });
    const answer = await provider().chat(
      ask({
        temperature: 0.2,
        maxTokens: 100,
        tools: [{ name: 'check_inventory', description: 'Stock', parameters: { type: 'object' } }],
        outputSchema: { schema: { type: 'object', properties: { price: { type: 'number' } } } },
        idempotencyKey: 'run1:price:1',
      }),
    );
    expect(answer).toMatchObject({
      content: '{"price":12.5}',
      toolCalls: [],
      finishReason: 'stop',
      usage: { inputTokens: 20, outputTokens: 4, cachedInputTokens: 8 },
    });
    const [request] = llm.requests;
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(request?.headers['idempotency-key']).toBe('run1:price:1');
    expect(request?.body).toMatchObject({
      model: 'gpt-test',
      temperature: 0.2,
      max_tokens: 100,
      messages: [
        { role: 'system', content: 'You price orders.' },
        { role: 'user', content: 'Price A1' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'check_inventory', description: 'Stock', parameters: { type: 'object' } },
        },
      ],
      response_format: { type: 'json_schema', json_schema: { name: 'output', strict: false } },
    });
  });

  test('reads parallel tool calls and sends tool results back', async () => {
    llm.script(
      {
        toolCalls: [
          { id: 'c1', name: 'check_inventory', arguments: { sku: 'A1' } },
          { id: 'c2', name: 'check_inventory', arguments: { sku: 'B2' } },
        ],
      },
      { text: 'Both in stock.' },
    );
    const first = await provider().chat(ask());
    expect(first.finishReason).toBe('tool_calls');
    expect(first.toolCalls).toEqual([
      { id: 'c1', name: 'check_inventory', arguments: '{"sku":"A1"}' },
      { id: 'c2', name: 'check_inventory', arguments: '{"sku":"B2"}' },
    ]);
    const second = await provider().chat(
      ask({
        messages: [
          ...ask().messages,
          { role: 'assistant', content: '', toolCalls: first.toolCalls },
          { role: 'tool', toolCallId: 'c1', name: 'check_inventory', content: '{"qty":3}' },
          { role: 'tool', toolCallId: 'c2', name: 'check_inventory', content: '{"qty":0}' },
        ],
      }),
    );
    expect(second.content).toBe('Both in stock.');
    expect(llm.requests[1]?.body.messages).toEqual([
      { role: 'system', content: 'You price orders.' },
      { role: 'user', content: 'Price A1' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'check_inventory', arguments: '{"sku":"A1"}' } },
          { id: 'c2', type: 'function', function: { name: 'check_inventory', arguments: '{"sku":"B2"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: '{"qty":3}' },
      { role: 'tool', tool_call_id: 'c2', content: '{"qty":0}' },
    ]);
  });

  test('streams over SSE when asked: text and tool call deltas, then the whole answer with usage', async () => {
    llm.script({
      text: 'Checking stock now',
      chunkSize: 5,
      toolCalls: [{ id: 'c9', name: 'check_inventory', arguments: { sku: 'A1' } }],
      usage: { inputTokens: 11, outputTokens: 7 },
    });
    const deltas: LlmDelta[] = [];
    const answer = await provider().chat(ask({ onDelta: (d) => deltas.push(d) }));
    expect(llm.requests[0]?.stream).toBe(true);
    expect(deltas.filter((d) => d.type === 'text').map((d) => (d as { text: string }).text)).toEqual([
      'Check',
      'ing s',
      'tock ',
      'now',
    ]);
    expect(answer).toMatchObject({
      content: 'Checking stock now',
      toolCalls: [{ id: 'c9', name: 'check_inventory', arguments: '{"sku":"A1"}' }],
      finishReason: 'tool_calls',
      usage: { inputTokens: 11, outputTokens: 7 },
    });
  });

  test('maps every provider failure to a typed error', async () => {
    llm.script(
      { status: 429, headers: { 'retry-after': '2' }, message: 'Rate limit reached' },
      { status: 500 },
      { status: 401, message: 'Incorrect API key' },
      { status: 400, message: "This model's maximum context length is 8192 tokens" },
      { status: 400, message: 'The response was filtered due to our content_filter policy' },
      { status: 400, message: 'Unrecognized request argument' },
      { malformed: true },
    );
    const p = provider();
    const limited = await failure(p.chat(ask()));
    expect([limited.code, limited.retryable, limited.retryAfterMs, limited.status]).toEqual([
      'LLMT_E_LLM_RATE_LIMITED',
      true,
      2000,
      429,
    ]);
    const codes: Array<[string, boolean]> = [];
    for (let i = 0; i < 6; i++) {
      const e = await failure(p.chat(ask()));
      codes.push([e.code, e.retryable]);
    }
    expect(codes).toEqual([
      ['LLMT_E_LLM_SERVER', true],
      ['LLMT_E_LLM_AUTH', false],
      ['LLMT_E_LLM_CONTEXT_TOO_LONG', false],
      ['LLMT_E_LLM_CONTENT_FILTERED', false],
      ['LLMT_E_LLM_BAD_REQUEST', false],
      ['LLMT_E_LLM_BAD_RESPONSE', true],
    ]);
    expect(llm.calls).toBe(7);
  });

  test('a stream cut mid-answer or malformed is a retryable bad response', async () => {
    llm.script({ text: 'a long answer that is cut', chunkSize: 2, cutAfterChunks: 4 }, { malformed: true });
    const cut = await failure(provider().chat(ask({ onDelta: () => {} })));
    expect([cut.code, cut.retryable]).toEqual(['LLMT_E_LLM_BAD_RESPONSE', true]);
    const malformed = await failure(provider().chat(ask({ onDelta: () => {} })));
    expect(malformed.code).toBe('LLMT_E_LLM_BAD_RESPONSE');
  });

  test('a server that never answers times out, retryable', async () => {
    const silent = await startSilentServer();
    try {
      const p = createOpenAiProvider({ baseUrl: `${silent.url}/v1`, timeoutMs: 200 });
      const e = await failure(p.chat(ask()));
      expect([e.code, e.retryable]).toEqual(['LLMT_E_LLM_TIMEOUT', true]);
    } finally {
      await silent.close();
    }
  });

  test('a missing API key secret and a missing model are typed errors naming the option', async () => {
    const p = createOpenAiProvider({ baseUrl: llm.url, apiKeySecret: 'nope' }, { secrets });
    await expect(p.chat(ask())).rejects.toMatchObject({
      code: 'LLMT_E_OPENAI_API_KEY',
      message: expect.stringContaining('"nope"'),
    });
    await expect(createOpenAiProvider({ baseUrl: llm.url }).chat(ask({ model: '' }))).rejects.toMatchObject({
      code: 'LLMT_E_OPENAI_OPTIONS',
    });
    expect(llm.calls).toBe(0);
  });
});
