import Anthropic from '@anthropic-ai/sdk';
import {
  LlmError,
  type LlmFinishReason,
  type LlmMessage,
  type LlmProvider,
  type LlmRequest,
  type LlmResponse,
  type LlmToolCall,
  LlmteamError,
  llmErrorKindOf,
  parseRetryAfter,
  type SecretsProvider,
} from '@llmteam/core';

/** Options of {@link createAnthropicProvider} (the plugin's options in `llmteam.config.json`). */
export interface AnthropicProviderOptions {
  /** The name steps use as `provider`. @default "anthropic" */
  name?: string;
  /** Base URL of the Messages API (without `/v1`). @default "https://api.anthropic.com" */
  baseUrl?: string;
  /** Model used when a step names none. */
  model?: string;
  /** Models this provider accepts; a step naming another fails validation. @default any */
  models?: string[];
  /** Name of the secret holding the API key (resolved per call, in the run's tenant). */
  apiKeySecret?: string;
  /** `max_tokens` when a step sets none (the Messages API requires one). @default 4096 */
  defaultMaxTokens?: number;
  /** Per-call timeout in milliseconds. @default 600000 */
  timeoutMs?: number;
  /** Retries inside the client; the agent step retries durably itself. @default 0 */
  maxRetries?: number;
  /** Headers added to every call. @default {} */
  headers?: Record<string, string>;
}

/** What the host gives a provider besides its options. */
export interface AnthropicProviderHost {
  /** Where `apiKeySecret` is read (the plugin passes the host's `api.secrets`). */
  secrets?: SecretsProvider;
  /**
   * Scrubs secrets from the server's error bodies before they are cut short for an error
   * message (the plugin passes the host's `api.redact`). @default the text as it is
   */
  redact?: (text: string) => string;
}

/** Defaults of {@link AnthropicProviderOptions}. */
export const ANTHROPIC_PROVIDER_DEFAULTS = {
  name: 'anthropic',
  baseUrl: 'https://api.anthropic.com',
  defaultMaxTokens: 4096,
  timeoutMs: 600_000,
  maxRetries: 0,
} as const;

type WireMessage = Anthropic.Messages.MessageParam;

function parseInput(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text || '{}');
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : { value };
  } catch {
    return { _raw: text };
  }
}

/** The system text and the Messages API's alternating user/assistant turns. */
function toWire(
  messages: LlmMessage[],
  output?: LlmRequest['outputSchema'],
): { system: string; messages: WireMessage[] } {
  const system: string[] = [];
  const out: WireMessage[] = [];
  for (const m of messages) {
    if (m.role === 'system') system.push(m.content);
    else if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else if (m.role === 'assistant')
      out.push({
        role: 'assistant',
        content: [
          ...(m.content ? [{ type: 'text' as const, text: m.content }] : []),
          ...(m.toolCalls ?? []).map((c) => ({
            type: 'tool_use' as const,
            id: c.id,
            name: c.name,
            input: parseInput(c.arguments),
          })),
        ],
      });
    else {
      const block = {
        type: 'tool_result' as const,
        tool_use_id: m.toolCallId,
        content: m.content,
        ...(m.isError ? { is_error: true } : {}),
      };
      const last = out[out.length - 1];
      // Results of one turn's parallel calls go back in one user message.
      if (last?.role === 'user' && Array.isArray(last.content)) last.content.push(block);
      else out.push({ role: 'user', content: [block] });
    }
  }
  if (output)
    system.push(
      `Answer with only a JSON value (no prose, no code fence) that is valid against this JSON Schema:\n${JSON.stringify(output.schema)}`,
    );
  return { system: system.join('\n\n'), messages: out };
}

function finishOf(reason: string | null | undefined): LlmFinishReason {
  if (reason === 'end_turn' || reason === 'stop_sequence') return 'stop';
  if (reason === 'tool_use') return 'tool_calls';
  if (reason === 'max_tokens') return 'length';
  if (reason === 'refusal') return 'content_filter';
  return 'other';
}

/**
 * Maps anything the `@anthropic-ai/sdk` client throws to an {@link LlmError}. An error body
 * is scrubbed with `redact` before it is cut to 300 characters, so a secret the server
 * echoes across the cut leaves no half behind.
 */
export function mapAnthropicError(
  error: unknown,
  provider: string,
  signal?: AbortSignal,
  redact: (text: string) => string = (text) => text,
): LlmError {
  if (error instanceof LlmError) return error;
  if (error instanceof Anthropic.APIConnectionTimeoutError)
    return new LlmError('timeout', `${provider}: the call timed out; raise \`timeoutMs\` or retry`, {
      provider,
      cause: error,
    });
  if (error instanceof Anthropic.APIUserAbortError || signal?.aborted)
    return new LlmError('timeout', `${provider}: the call was aborted (step cancelled or timed out)`, {
      provider,
      cause: error,
    });
  if (error instanceof Anthropic.APIError && typeof error.status === 'number') {
    // Anthropic's 529 "overloaded" is a server error like any 5xx.
    const body = JSON.stringify(error.error ?? error.message);
    const kind = llmErrorKindOf(error.status, body);
    return new LlmError(
      kind,
      `${provider}: ${kind.replace('_', ' ')} (${error.status}): ${redact(body).slice(0, 300)}`,
      {
        provider,
        status: error.status,
        retryAfterMs: parseRetryAfter(error.headers?.get('retry-after')),
        cause: error,
      },
    );
  }
  if (error instanceof Anthropic.APIConnectionError)
    return new LlmError('server', `${provider}: cannot reach the server: ${error.message}`, {
      provider,
      cause: error,
    });
  const message = (error as Error)?.message ?? String(error);
  return new LlmError('bad_response', `${provider}: the answer could not be read (${message})`, {
    provider,
    cause: error,
  });
}

/**
 * Creates an {@link LlmProvider} for the Anthropic Messages API on the official
 * `@anthropic-ai/sdk`: tool use (parallel calls and results), SSE streaming, and every
 * failure mapped to an {@link LlmError}. `outputSchema` becomes a system instruction (the
 * agent step validates the answer with ajv either way).
 */
export function createAnthropicProvider(
  options: AnthropicProviderOptions = {},
  host: AnthropicProviderHost = {},
): LlmProvider {
  const o = { ...ANTHROPIC_PROVIDER_DEFAULTS, ...options };
  const clients = new Map<string, Anthropic>();
  const clientFor = (apiKey: string): Anthropic => {
    let client = clients.get(apiKey);
    if (!client) {
      // Only the key from the secrets provider: no ambient ANTHROPIC_* credentials.
      client = new Anthropic({
        apiKey,
        authToken: null,
        baseURL: o.baseUrl,
        timeout: o.timeoutMs,
        maxRetries: o.maxRetries,
        defaultHeaders: o.headers,
      });
      clients.set(apiKey, client);
    }
    return client;
  };
  const keyFor = async (tenantId: string): Promise<string> => {
    if (!o.apiKeySecret) return 'unused';
    const key = await host.secrets?.get(o.apiKeySecret, { tenantId });
    if (!key)
      throw new LlmteamError(
        'LLMT_E_SECRET_NOT_FOUND',
        `${o.name}: the secret "${o.apiKeySecret}" (option apiKeySecret) has no value in tenant "${tenantId}"; set it in the secrets provider`,
      );
    return key;
  };

  return {
    name: o.name,
    ...(o.models ? { models: o.models } : {}),
    async chat(request: LlmRequest): Promise<LlmResponse> {
      const client = clientFor(await keyFor(request.tenantId ?? 'default'));
      const { system, messages } = toWire(request.messages, request.outputSchema);
      const body = {
        model: request.model || o.model || '',
        max_tokens: request.maxTokens ?? o.defaultMaxTokens,
        messages,
        ...(system ? { system } : {}),
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.tools?.length
          ? {
              tools: request.tools.map((t) => ({
                name: t.name,
                ...(t.description ? { description: t.description } : {}),
                input_schema: t.parameters as Anthropic.Messages.Tool.InputSchema,
              })),
            }
          : {}),
      };
      const requestOptions = {
        signal: request.signal,
        ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
      };
      try {
        if (!request.onDelta) {
          const answer = await client.messages.create({ ...body, stream: false }, requestOptions);
          if (!answer || !Array.isArray(answer.content))
            throw new LlmError('bad_response', `${o.name}: the answer has no \`content\``, {
              provider: o.name,
            });
          let text = '';
          const toolCalls: LlmToolCall[] = [];
          for (const block of answer.content) {
            if (block.type === 'text') text += block.text;
            else if (block.type === 'tool_use')
              toolCalls.push({
                id: block.id,
                name: block.name,
                arguments: JSON.stringify(block.input ?? {}),
              });
          }
          return finish(o.name, text, toolCalls, answer.stop_reason, answer.usage, answer.model);
        }
        const stream = await client.messages.create({ ...body, stream: true }, requestOptions);
        let text = '';
        let reason: string | null | undefined;
        let model: string | undefined;
        const usage = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0 as number | null };
        const blocks: Array<{ kind: 'text' | 'tool'; id?: string; name?: string; json: string }> = [];
        let stopped = false;
        for await (const event of stream) {
          if (event.type === 'message_start') {
            model = event.message.model;
            usage.input_tokens = event.message.usage.input_tokens;
            usage.cache_read_input_tokens = event.message.usage.cache_read_input_tokens ?? 0;
          } else if (event.type === 'content_block_start') {
            const b = event.content_block;
            blocks[event.index] =
              b.type === 'tool_use'
                ? { kind: 'tool', id: b.id, name: b.name, json: '' }
                : { kind: 'text', json: '' };
          } else if (event.type === 'content_block_delta') {
            if (event.delta.type === 'text_delta') {
              text += event.delta.text;
              request.onDelta({ type: 'text', text: event.delta.text });
            } else if (event.delta.type === 'input_json_delta') {
              const slot = blocks[event.index];
              if (slot) {
                slot.json += event.delta.partial_json;
                request.onDelta({
                  type: 'tool_call',
                  index: event.index,
                  arguments: event.delta.partial_json,
                });
              }
            }
          } else if (event.type === 'message_delta') {
            reason = event.delta.stop_reason;
            usage.output_tokens = event.usage.output_tokens;
          } else if (event.type === 'message_stop') stopped = true;
        }
        // An aborted stream may just end; say why.
        if (!stopped && request.signal?.aborted)
          throw mapAnthropicError(request.signal.reason, o.name, request.signal, host.redact);
        if (!stopped)
          throw new LlmError('bad_response', `${o.name}: the stream ended before \`message_stop\``, {
            provider: o.name,
          });
        const toolCalls = blocks
          .filter((b) => b?.kind === 'tool')
          .map((b) => ({ id: b.id ?? '', name: b.name ?? '', arguments: b.json || '{}' }));
        return finish(o.name, text, toolCalls, reason, usage, model);
      } catch (error) {
        throw mapAnthropicError(error, o.name, request.signal, host.redact);
      }
    },
  };
}

function finish(
  provider: string,
  text: string,
  toolCalls: LlmToolCall[],
  reason: string | null | undefined,
  usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens?: number | null },
  model: string | undefined,
): LlmResponse {
  const finishReason = finishOf(reason);
  if (finishReason === 'content_filter' && text === '' && toolCalls.length === 0)
    throw new LlmError('content_filtered', `${provider}: the model refused to answer`, { provider });
  return {
    content: text,
    toolCalls,
    finishReason: toolCalls.length > 0 && finishReason === 'other' ? 'tool_calls' : finishReason,
    usage: {
      inputTokens: usage.input_tokens,
      outputTokens: usage.output_tokens,
      cachedInputTokens: usage.cache_read_input_tokens ?? 0,
    },
    ...(model ? { model } : {}),
  };
}
