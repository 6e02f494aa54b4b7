import {
  argumentsText,
  type LlmTestServer,
  type LlmTestServerOptions,
  type LlmWireFormat,
  type ScriptedAnswer,
  type ScriptedUsage,
  startScriptedLlmServer,
  textChunks,
} from './llm-script.js';

const DEFAULT_USAGE: ScriptedUsage = { inputTokens: 10, outputTokens: 5 };

function usageOf(answer: ScriptedAnswer) {
  const usage = answer.usage ?? DEFAULT_USAGE;
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
  };
}

function finishOf(answer: ScriptedAnswer): string {
  return answer.finishReason ?? (answer.toolCalls?.length ? 'tool_calls' : 'stop');
}

const callId = (answer: ScriptedAnswer, i: number, n: number) =>
  answer.toolCalls?.[i]?.id ?? `call_${n}_${i}`;

/**
 * The OpenAI chat-completions wire format (`POST /v1/chat/completions`, and Azure OpenAI's
 * `POST /openai/deployments/<deployment>/chat/completions`).
 */
export const openAiWireFormat: LlmWireFormat = {
  path: '/v1/chat/completions',
  matches: (path) => /^\/openai\/deployments\/[^/]+\/chat\/completions$/.test(path),
  errorBody(status, message) {
    const type =
      status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
    return { error: { message, type, param: null, code: type } };
  },
  answerBody(answer, request, n) {
    const toolCalls = (answer.toolCalls ?? []).map((call, i) => ({
      id: callId(answer, i, n),
      type: 'function',
      function: { name: call.name, arguments: argumentsText(call) },
    }));
    return {
      id: `chatcmpl-${n}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: String(request.body.model ?? 'test-model'),
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: answer.text ?? (toolCalls.length ? null : ''),
            refusal: null,
            ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          },
          logprobs: null,
          finish_reason: finishOf(answer),
        },
      ],
      usage: usageOf(answer),
    };
  },
  streamEvents(answer, request, n) {
    const base = {
      id: `chatcmpl-${n}`,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: String(request.body.model ?? 'test-model'),
    };
    const chunk = (delta: unknown, finish: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    const events: Array<[undefined, unknown]> = [[undefined, chunk({ role: 'assistant', content: '' })]];
    for (const piece of textChunks(answer.text ?? '', answer.chunkSize))
      events.push([undefined, chunk({ content: piece })]);
    (answer.toolCalls ?? []).forEach((call, index) => {
      events.push([
        undefined,
        chunk({
          tool_calls: [
            {
              index,
              id: callId(answer, index, n),
              type: 'function',
              function: { name: call.name, arguments: '' },
            },
          ],
        }),
      ]);
      for (const piece of textChunks(argumentsText(call), answer.chunkSize))
        events.push([undefined, chunk({ tool_calls: [{ index, function: { arguments: piece } }] })]);
    });
    events.push([undefined, chunk({}, finishOf(answer))]);
    const options = request.body.stream_options as { include_usage?: boolean } | undefined;
    if (options?.include_usage) events.push([undefined, { ...base, choices: [], usage: usageOf(answer) }]);
    events.push([undefined, '[DONE]']);
    return events;
  },
};

/**
 * Starts an OpenAI-compatible chat-completions server on 127.0.0.1 (a free port), answering
 * each request with the next scripted reply, as JSON or (when the request streams) as SSE.
 *
 * ```ts
 * const llm = await startOpenAiTestServer();
 * llm.script(
 *   { toolCalls: [{ name: 'check_inventory', arguments: { sku: 'A1' } }] },
 *   { text: 'In stock.' },
 * );
 * // point the client at llm.url ...
 * expect(llm.calls).toBe(2);
 * await llm.close();
 * ```
 */
export function startOpenAiTestServer(options: LlmTestServerOptions = {}): Promise<LlmTestServer> {
  return startScriptedLlmServer(openAiWireFormat, options);
}
