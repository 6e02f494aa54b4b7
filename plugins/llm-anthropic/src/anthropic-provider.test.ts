import { LlmError, type LlmProvider } from '@llmteam/core';
import { type LlmTestServer, type ScriptedReply, startAnthropicTestServer } from '@llmteam/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import { createAnthropicProvider } from './anthropic-provider.js';

const servers: LlmTestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const secrets = { get: async (name: string) => (name === 'anthropic_key' ? 'ak-test' : undefined) };

async function setup(replies: ScriptedReply[], extra = {}) {
  const server = await startAnthropicTestServer();
  server.script(...replies);
  servers.push(server);
  const provider: LlmProvider = createAnthropicProvider(
    // The SDK adds `/v1/messages` itself.
    {
      baseUrl: `http://127.0.0.1:${server.port}`,
      model: 'claude-test',
      apiKeySecret: 'anthropic_key',
      ...extra,
    },
    { secrets },
  );
  return { server, provider };
}
const user = [{ role: 'user' as const, content: 'hi' }];

async function failure(promise: Promise<unknown>): Promise<LlmError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LlmError);
    return error as LlmError;
  }
  throw new Error('expected a failure');
}

describe('Anthropic Messages provider', () => {
  test('answers text with usage, the key from the secrets provider and the system prompt apart', async () => {
    const { server, provider } = await setup([
      { text: 'Hello!', usage: { inputTokens: 9, outputTokens: 2, cachedInputTokens: 4 } },
    ]);
    const answer = await provider.chat({
      model: '',
      messages: [{ role: 'system', content: 'be brief' }, ...user],
    });
    expect(answer.content).toBe('Hello!');
    expect(answer.toolCalls).toEqual([]);
    expect(answer.finishReason).toBe('stop');
    expect(answer.usage).toEqual({ inputTokens: 9, outputTokens: 2, cachedInputTokens: 4 });
    // SDK 1.x sends the key as a bearer token.
    const { authorization, 'x-api-key': apiKey } = server.requests[0]?.headers ?? {};
    expect(apiKey === 'ak-test' || authorization === 'Bearer ak-test').toBe(true);
    expect(server.requests[0]?.body).toMatchObject({
      model: 'claude-test',
      system: 'be brief',
      max_tokens: 4096,
    });
  });

  test('tool use: parallel calls out, results back in one user turn', async () => {
    const { server, provider } = await setup([
      {
        toolCalls: [
          { id: 'tu_1', name: 'check_inventory', arguments: { sku: 'A1' } },
          { id: 'tu_2', name: 'check_inventory', arguments: { sku: 'B2' } },
        ],
      },
    ]);
    const answer = await provider.chat({
      model: 'm',
      messages: [
        ...user,
        {
          role: 'assistant',
          content: 'checking',
          toolCalls: [
            { id: 'x', name: 't', arguments: '{"a":1}' },
            { id: 'y', name: 't', arguments: '{"a":2}' },
          ],
        },
        { role: 'tool', toolCallId: 'x', name: 't', content: 'one' },
        { role: 'tool', toolCallId: 'y', name: 't', content: 'refused', isError: true },
      ],
      tools: [{ name: 'check_inventory', description: 'stock', parameters: { type: 'object' } }],
    });
    expect(answer.finishReason).toBe('tool_calls');
    expect(answer.toolCalls).toEqual([
      { id: 'tu_1', name: 'check_inventory', arguments: '{"sku":"A1"}' },
      { id: 'tu_2', name: 'check_inventory', arguments: '{"sku":"B2"}' },
    ]);
    const body = server.requests[0]?.body as Record<string, any>;
    expect(body.tools[0]).toEqual({
      name: 'check_inventory',
      description: 'stock',
      input_schema: { type: 'object' },
    });
    expect(body.messages[1].content[1]).toEqual({ type: 'tool_use', id: 'x', name: 't', input: { a: 1 } });
    expect(body.messages[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'x', content: 'one' },
        { type: 'tool_result', tool_use_id: 'y', content: 'refused', is_error: true },
      ],
    });
  });

  test('streams text deltas and tool input over SSE', async () => {
    const { provider } = await setup([
      {
        text: 'streamed answer',
        toolCalls: [{ id: 'c1', name: 'f', arguments: { long: 'y'.repeat(40) } }],
        usage: { inputTokens: 3, outputTokens: 7 },
      },
    ]);
    const deltas: string[] = [];
    const answer = await provider.chat({
      model: 'm',
      messages: user,
      onDelta: (d) => (d.type === 'text' ? deltas.push(d.text) : undefined),
    });
    expect(deltas.join('')).toBe('streamed answer');
    expect(deltas.length).toBeGreaterThan(1);
    expect(answer.toolCalls?.[0]).toEqual({
      id: 'c1',
      name: 'f',
      arguments: JSON.stringify({ long: 'y'.repeat(40) }),
    });
    expect(answer.usage.outputTokens).toBe(7);
    expect(answer.finishReason).toBe('tool_calls');
  });

  test('an output schema becomes a system instruction', async () => {
    const { server, provider } = await setup([{ text: '{"ok":true}' }]);
    await provider.chat({
      model: 'm',
      messages: user,
      outputSchema: { name: 'a', schema: { type: 'object' } },
    });
    expect(String(server.requests[0]?.body.system)).toContain('{"type":"object"}');
  });

  test.each([
    [{ status: 429, headers: { 'retry-after': '3' } }, 'LLMT_E_LLM_RATE_LIMITED', true],
    [{ status: 500 }, 'LLMT_E_LLM_SERVER', true],
    [{ status: 529 }, 'LLMT_E_LLM_SERVER', true],
    [{ status: 401 }, 'LLMT_E_LLM_AUTH', false],
    [
      { status: 400, message: 'prompt is too long: 210000 tokens > 200000 maximum' },
      'LLMT_E_LLM_CONTEXT_TOO_LONG',
      false,
    ],
    [{ finishReason: 'content_filter' }, 'LLMT_E_LLM_CONTENT_FILTERED', false],
    [{ malformed: true as const }, 'LLMT_E_LLM_BAD_RESPONSE', true],
  ] as Array<[ScriptedReply, string, boolean]>)('maps %j to %s', async (reply, code, retryable) => {
    const { provider } = await setup([reply]);
    const error = await failure(provider.chat({ model: 'm', messages: user }));
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    if (code === 'LLMT_E_LLM_RATE_LIMITED') expect(error.retryAfterMs).toBe(3000);
  });

  test('a cut stream and a slow stream past the deadline are retryable; one call each', async () => {
    const { provider, server } = await setup([{ text: 'a long answer here', cutAfterChunks: 3 }]);
    const cut = await failure(provider.chat({ model: 'm', messages: user, onDelta: () => {} }));
    expect(cut.retryable).toBe(true);
    const slow = await setup([{ text: 'a slow answer', chunkSize: 2, delayMs: 300 }]);
    const late = await failure(
      slow.provider.chat({ model: 'm', messages: user, onDelta: () => {}, signal: AbortSignal.timeout(200) }),
    );
    expect(late.code).toBe('LLMT_E_LLM_TIMEOUT');
    expect(server.calls).toBe(1);
    expect(slow.server.calls).toBe(1);
  });

  test('a key the server quotes back in an error body is scrubbed before the body is cut short', async () => {
    const key = 'ak-canary-5e4d3c2b1a09';
    const server = await startAnthropicTestServer();
    servers.push(server);
    // Quoted over and over, so one copy straddles the 300-character cut wherever the body starts.
    server.script({ status: 401, message: `invalid x-api-key: ${`${key} `.repeat(20)}` });
    const provider = createAnthropicProvider(
      { baseUrl: `http://127.0.0.1:${server.port}`, model: 'claude-test', apiKeySecret: 'anthropic_key' },
      {
        secrets: { get: async () => key },
        redact: (text) => text.split(key).join('[secret]'),
      },
    );
    const error = await failure(provider.chat({ model: 'm', messages: user }));
    expect(error.code).toBe('LLMT_E_LLM_AUTH');
    expect(error.message).toContain('[secret]');
    expect(error.message).not.toContain('ak-');
  });
});
