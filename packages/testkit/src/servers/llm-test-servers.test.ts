import { afterEach, describe, expect, test } from 'vitest';
import { startAnthropicTestServer } from './anthropic-test-server.js';
import type { LlmTestServer } from './llm-script.js';
import { startOpenAiTestServer } from './openai-test-server.js';

const servers: LlmTestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function openai() {
  const server = await startOpenAiTestServer();
  servers.push(server);
  return server;
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function sseData(text: string): unknown[] {
  return text
    .split('\n\n')
    .map((block) =>
      block
        .split('\n')
        .find((line) => line.startsWith('data: '))
        ?.slice(6),
    )
    .filter((data): data is string => data !== undefined && data !== '[DONE]')
    .map((data) => JSON.parse(data));
}

describe('OpenAI test server', () => {
  test('answers scripted text and parallel tool calls in order and counts calls', async () => {
    const llm = await openai();
    llm.script(
      {
        toolCalls: [
          { name: 'a', arguments: { x: 1 } },
          { id: 'c2', name: 'b', arguments: '{"y":2}' },
        ],
        usage: { inputTokens: 7, outputTokens: 3, cachedInputTokens: 2 },
      },
      { text: 'done' },
    );
    const first = (await (
      await post(`${llm.url}/chat/completions`, { model: 'm', messages: [] })
    ).json()) as any;
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    expect(
      first.choices[0].message.tool_calls.map((c: any) => [c.function.name, c.function.arguments]),
    ).toEqual([
      ['a', '{"x":1}'],
      ['b', '{"y":2}'],
    ]);
    expect(first.choices[0].message.tool_calls[1].id).toBe('c2');
    expect(first.usage).toMatchObject({
      prompt_tokens: 7,
      completion_tokens: 3,
      prompt_tokens_details: { cached_tokens: 2 },
    });
    const second = (await (
      await post(`${llm.url}/chat/completions`, { model: 'm', messages: [] })
    ).json()) as any;
    expect(second.choices[0].message.content).toBe('done');
    expect(llm.calls).toBe(2);
    expect(llm.pending).toBe(0);
    expect(llm.requests[0]?.body.model).toBe('m');
  });

  test('streams text and tool call pieces as SSE, with usage when asked', async () => {
    const llm = await openai();
    llm.script({
      text: 'Hello streaming world',
      chunkSize: 5,
      toolCalls: [{ name: 't', arguments: { q: 'abc' } }],
    });
    const res = await post(`${llm.url}/chat/completions`, {
      model: 'm',
      messages: [],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const chunks = sseData(await res.text()) as any[];
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('Hello streaming world');
    const args = chunks.map((c) => c.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '').join('');
    expect(args).toBe('{"q":"abc"}');
    expect(chunks.at(-1).usage.completion_tokens).toBe(5);
  });

  test('fails as scripted: 429 with retry-after, 500, malformed JSON, cut stream, nothing left', async () => {
    const llm = await openai();
    llm.script(
      { status: 429, headers: { 'retry-after': '3' }, message: 'slow down' },
      { status: 500 },
      { malformed: true },
      { text: 'a long answer that is cut', chunkSize: 2, cutAfterChunks: 3 },
    );
    const limited = await post(`${llm.url}/chat/completions`, { messages: [] });
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '3']);
    expect(((await limited.json()) as any).error.message).toBe('slow down');
    expect((await post(`${llm.url}/chat/completions`, { messages: [] })).status).toBe(500);
    await expect((await post(`${llm.url}/chat/completions`, { messages: [] })).json()).rejects.toThrow();
    const cut = await post(`${llm.url}/chat/completions`, { messages: [], stream: true });
    await expect(cut.text()).rejects.toThrow();
    const none = await post(`${llm.url}/chat/completions`, { messages: [] });
    expect(none.status).toBe(500);
    expect(llm.calls).toBe(5);
  });

  test('a slow stream waits between pieces', async () => {
    const llm = await openai();
    llm.script({ text: 'abcdef', chunkSize: 2, delayMs: 30 });
    const started = Date.now();
    const res = await post(`${llm.url}/chat/completions`, { messages: [], stream: true });
    await res.text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
  });
});

describe('Anthropic test server', () => {
  test('answers Messages API JSON with text and tool_use blocks, and streams them', async () => {
    const llm = await startAnthropicTestServer();
    servers.push(llm);
    llm.script(
      { text: 'Let me check.', toolCalls: [{ id: 'toolu_1', name: 'check', arguments: { sku: 'A' } }] },
      { text: 'In stock', chunkSize: 3 },
      { status: 429, headers: { 'retry-after': '1' } },
    );
    const first = (await (
      await post(`${llm.url}/messages`, { model: 'claude', messages: [] })
    ).json()) as any;
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'toolu_1', name: 'check', input: { sku: 'A' } },
    ]);
    const streamed = sseData(
      await (await post(`${llm.url}/messages`, { messages: [], stream: true })).text(),
    ) as any[];
    expect(streamed[0].type).toBe('message_start');
    expect(
      streamed
        .filter((e) => e.type === 'content_block_delta')
        .map((e) => e.delta.text)
        .join(''),
    ).toBe('In stock');
    expect(streamed.at(-1).type).toBe('message_stop');
    const limited = await post(`${llm.url}/messages`, { messages: [] });
    expect(((await limited.json()) as any).error.type).toBe('rate_limit_error');
    expect(llm.calls).toBe(3);
  });
});
