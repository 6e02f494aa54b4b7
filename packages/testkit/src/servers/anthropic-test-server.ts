import {
  argumentsText,
  type LlmTestServer,
  type LlmTestServerOptions,
  type LlmWireFormat,
  type ScriptedAnswer,
  startScriptedLlmServer,
  textChunks,
} from './llm-script.js';

function stopOf(answer: ScriptedAnswer): string {
  const finish = answer.finishReason;
  if (finish === 'length') return 'max_tokens';
  if (finish === 'content_filter') return 'refusal';
  if (finish) return finish;
  return answer.toolCalls?.length ? 'tool_use' : 'end_turn';
}

function usageOf(answer: ScriptedAnswer) {
  const usage = answer.usage ?? { inputTokens: 10, outputTokens: 5 };
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_read_input_tokens: usage.cachedInputTokens ?? 0,
    cache_creation_input_tokens: 0,
  };
}

const toolId = (answer: ScriptedAnswer, i: number, n: number) =>
  answer.toolCalls?.[i]?.id ?? `toolu_${n}_${i}`;

function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** The Anthropic Messages wire format (`POST /v1/messages`). */
export const anthropicWireFormat: LlmWireFormat = {
  path: '/v1/messages',
  errorBody(status, message) {
    return { type: 'error', error: { type: errorType(status), message } };
  },
  answerBody(answer, request, n) {
    const content: unknown[] = [];
    if (answer.text) content.push({ type: 'text', text: answer.text });
    (answer.toolCalls ?? []).forEach((call, i) => {
      const text = argumentsText(call);
      let input: unknown;
      try {
        input = JSON.parse(text);
      } catch {
        input = text;
      }
      content.push({ type: 'tool_use', id: toolId(answer, i, n), name: call.name, input });
    });
    return {
      id: `msg_${n}`,
      type: 'message',
      role: 'assistant',
      model: String(request.body.model ?? 'test-model'),
      content,
      stop_reason: stopOf(answer),
      stop_sequence: null,
      usage: usageOf(answer),
    };
  },
  streamEvents(answer, request, n) {
    const usage = usageOf(answer);
    const events: Array<[string, unknown]> = [
      [
        'message_start',
        {
          type: 'message_start',
          message: {
            id: `msg_${n}`,
            type: 'message',
            role: 'assistant',
            model: String(request.body.model ?? 'test-model'),
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { ...usage, output_tokens: 1 },
          },
        },
      ],
    ];
    let index = 0;
    if (answer.text) {
      events.push([
        'content_block_start',
        { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
      ]);
      for (const piece of textChunks(answer.text, answer.chunkSize))
        events.push([
          'content_block_delta',
          { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } },
        ]);
      events.push(['content_block_stop', { type: 'content_block_stop', index }]);
      index++;
    }
    (answer.toolCalls ?? []).forEach((call, i) => {
      events.push([
        'content_block_start',
        {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: toolId(answer, i, n), name: call.name, input: {} },
        },
      ]);
      for (const piece of textChunks(argumentsText(call), answer.chunkSize))
        events.push([
          'content_block_delta',
          { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } },
        ]);
      events.push(['content_block_stop', { type: 'content_block_stop', index }]);
      index++;
    });
    events.push([
      'message_delta',
      {
        type: 'message_delta',
        delta: { stop_reason: stopOf(answer), stop_sequence: null },
        usage: { output_tokens: usage.output_tokens },
      },
    ]);
    events.push(['message_stop', { type: 'message_stop' }]);
    return events;
  },
};

/**
 * Starts an Anthropic Messages API server on 127.0.0.1 (a free port) with the same
 * scripting as {@link startOpenAiTestServer}: text, tool use (several blocks for parallel
 * calls), malformed JSON, failures such as 429 with `retry-after`, slow and cut streams.
 */
export function startAnthropicTestServer(options: LlmTestServerOptions = {}): Promise<LlmTestServer> {
  return startScriptedLlmServer(anthropicWireFormat, options);
}
