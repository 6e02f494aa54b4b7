import { describe, expect, test } from 'vitest';
import {
  createEngine,
  definePlugin,
  isLlmError,
  LlmError,
  type LlmProvider,
  llmErrorKindOf,
  MemoryStore,
  parseRetryAfter,
} from '../index.js';

describe('LLM provider errors', () => {
  test('each kind has its own code and says whether a retry may help', () => {
    const cases = [
      ['rate_limited', 'LLMT_E_LLM_RATE_LIMITED', true],
      ['server', 'LLMT_E_LLM_SERVER', true],
      ['timeout', 'LLMT_E_LLM_TIMEOUT', true],
      ['bad_response', 'LLMT_E_LLM_BAD_RESPONSE', true],
      ['auth', 'LLMT_E_LLM_AUTH', false],
      ['context_too_long', 'LLMT_E_LLM_CONTEXT_TOO_LONG', false],
      ['content_filtered', 'LLMT_E_LLM_CONTENT_FILTERED', false],
      ['bad_request', 'LLMT_E_LLM_BAD_REQUEST', false],
    ] as const;
    for (const [kind, code, retryable] of cases) {
      const error = new LlmError(kind, 'x', { provider: 'p', status: 400 });
      expect([error.code, error.retryable, isLlmError(error)]).toEqual([code, retryable, true]);
      expect(error.details).toMatchObject({ kind, provider: 'p', status: 400 });
    }
    expect(isLlmError(new Error('plain'))).toBe(false);
  });

  test('HTTP statuses and provider messages map to kinds', () => {
    expect(llmErrorKindOf(401)).toBe('auth');
    expect(llmErrorKindOf(403)).toBe('auth');
    expect(llmErrorKindOf(429)).toBe('rate_limited');
    expect(llmErrorKindOf(408)).toBe('timeout');
    expect(llmErrorKindOf(500)).toBe('server');
    expect(llmErrorKindOf(503)).toBe('server');
    expect(llmErrorKindOf(400, "This model's maximum context length is 8192 tokens")).toBe(
      'context_too_long',
    );
    expect(llmErrorKindOf(400, 'prompt is too long: 210000 tokens')).toBe('context_too_long');
    expect(llmErrorKindOf(400, 'flagged by our content_filter')).toBe('content_filtered');
    expect(llmErrorKindOf(400, 'missing field model')).toBe('bad_request');
  });

  test('retry-after in seconds or as a date becomes ms', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 7_000)).toBe(3000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

test('the README provider example registers a provider by name', async () => {
  const echo: LlmProvider = {
    name: 'echo',
    async chat(request) {
      const last = request.messages.at(-1);
      return {
        content: last && 'content' in last ? last.content : '',
        toolCalls: [],
        finishReason: 'stop',
        usage: { inputTokens: 1, outputTokens: 1 },
      };
    },
  };
  const plugin = definePlugin({
    name: 'echo-llm',
    version: '1.0.0',
    apiVersion: '^1.0.0',
    setup: (api) => api.registerLlmProvider(echo),
  });
  const engine = createEngine({ store: new MemoryStore(), plugins: [plugin] });
  await engine.start();
  const answer = await engine.resources.llms.echo?.chat({
    model: 'm',
    messages: [{ role: 'user', content: 'hi' }],
  });
  expect(answer?.content).toBe('hi');
  await engine.stop();
});
