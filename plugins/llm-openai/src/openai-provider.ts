import {
  LlmError,
  type LlmFinishReason,
  type LlmMessage,
  type LlmProvider,
  type LlmRequest,
  type LlmResponse,
  type LlmToolCall,
  type LlmUsage,
  llmErrorKindOf,
  parseRetryAfter,
  type SecretsProvider,
} from '@llmteam/core';
import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError, AzureOpenAI } from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { openAiError } from './errors.js';

/** Options of {@link createOpenAiProvider} (the plugin's options in `llmteam.config.json`). */
export interface OpenAiProviderOptions {
  /** Name steps use in `provider`. @default "openai" */
  name?: string;
  /** Base URL of the chat-completions server, up to `/v1`. @default "https://api.openai.com/v1" */
  baseUrl?: string;
  /** Model used when a step names none. @default undefined (steps must name one) */
  model?: string;
  /**
   * Name of the secret holding the API key, read through the secrets provider per tenant.
   * Leave it out for local servers that need no key (vLLM, Ollama, llama.cpp).
   * @default undefined
   */
  apiKeySecret?: string;
  /** How long one model call may take, in ms. @default 120000 */
  timeoutMs?: number;
  /**
   * Retries inside the client. The engine retries steps durably, so by default the client
   * does not repeat a call on its own.
   * @default 0
   */
  maxRetries?: number;
  /** Extra headers on every request. @default {} */
  headers?: Record<string, string>;
  /**
   * Azure OpenAI: `baseUrl` is then the resource endpoint (`https://<resource>.openai.azure.com`),
   * requests go to `/openai/deployments/<deployment>/chat/completions?api-version=<apiVersion>`
   * and the key is sent in the `api-key` header instead of `Authorization`.
   * @default undefined (the OpenAI wire layout)
   */
  azure?: AzureOpenAiOptions;
  /**
   * Which body field carries a step's `max_tokens`. OpenAI's reasoning models (o1, o3, o4,
   * gpt-5 and their variants) refuse `max_tokens` and need `max_completion_tokens`; many
   * compatible servers (vLLM, Ollama, llama.cpp) know only `max_tokens`.
   * @default "max_completion_tokens" for model names starting with o1, o3, o4 or gpt-5, else "max_tokens"
   */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /**
   * Ask a streamed answer for its token usage (`stream_options: { include_usage: true }`).
   * Turn it off for servers that refuse `stream_options`; streamed calls then report 0 tokens.
   * @default true
   */
  streamUsage?: boolean;
}

/** The Azure OpenAI settings of {@link OpenAiProviderOptions.azure}. */
export interface AzureOpenAiOptions {
  /** The `api-version` query parameter, e.g. `2024-10-21`. */
  apiVersion: string;
  /** The deployment to call. @default the step's model (Azure deployments are often named after it) */
  deployment?: string;
}

/** Model names that take `max_completion_tokens` instead of `max_tokens`. */
const COMPLETION_TOKENS_MODELS = /^(o1|o3|o4|gpt-5)/;

/** The body field that carries the token limit for `model` (see {@link OpenAiProviderOptions.maxTokensField}). */
export function maxTokensFieldFor(
  model: string,
  options: Pick<OpenAiProviderOptions, 'maxTokensField'> = {},
): 'max_tokens' | 'max_completion_tokens' {
  return (
    options.maxTokensField ?? (COMPLETION_TOKENS_MODELS.test(model) ? 'max_completion_tokens' : 'max_tokens')
  );
}

/** The defaults of {@link OpenAiProviderOptions}. */
export const OPENAI_PROVIDER_DEFAULTS = {
  name: 'openai',
  baseUrl: 'https://api.openai.com/v1',
  timeoutMs: 120_000,
  maxRetries: 0,
  streamUsage: true,
} as const;

function toWireMessages(messages: LlmMessage[]): ChatCompletionMessageParam[] {
  return messages.map((message): ChatCompletionMessageParam => {
    switch (message.role) {
      case 'system':
      case 'user':
        return { role: message.role, content: message.content };
      case 'assistant':
        return {
          role: 'assistant',
          content: message.content === '' && message.toolCalls?.length ? null : message.content,
          ...(message.toolCalls?.length
            ? {
                tool_calls: message.toolCalls.map((call) => ({
                  id: call.id,
                  type: 'function' as const,
                  function: { name: call.name, arguments: call.arguments },
                })),
              }
            : {}),
        };
      default:
        return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    }
  });
}

function finishOf(reason: string | null | undefined): LlmFinishReason {
  if (reason === 'stop' || reason === 'length' || reason === 'tool_calls' || reason === 'content_filter')
    return reason;
  if (reason === 'function_call') return 'tool_calls';
  return 'other';
}

function usageOf(usage: OpenAI.CompletionUsage | null | undefined): LlmUsage {
  return {
    inputTokens: usage?.prompt_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
    cachedInputTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
  };
}

/**
 * Turns whatever the client threw into an {@link LlmError}: HTTP failures by status (429
 * with its `retry-after`), timeouts, unreachable servers, and unreadable answers.
 */
export function toLlmError(error: unknown, provider: string, signal?: AbortSignal): LlmError {
  if (error instanceof LlmError) return error;
  if (error instanceof APIUserAbortError || signal?.aborted)
    return new LlmError('timeout', `model call to "${provider}" was aborted`, { provider, cause: error });
  if (error instanceof APIConnectionTimeoutError)
    return new LlmError(
      'timeout',
      `model call to "${provider}" timed out; raise timeoutMs if the model is slow`,
      {
        provider,
        cause: error,
      },
    );
  if (error instanceof APIError && error.status !== undefined) {
    const message = error.message;
    const headers = error.headers;
    const ms = Number(headers?.get('retry-after-ms') ?? Number.NaN);
    const retryAfterMs = Number.isFinite(ms) ? ms : parseRetryAfter(headers?.get('retry-after'));
    return new LlmError(llmErrorKindOf(error.status, message), `"${provider}" answered ${message}`, {
      provider,
      status: error.status,
      retryAfterMs,
      cause: error,
    });
  }
  if (error instanceof APIError)
    return new LlmError('server', `"${provider}" could not be reached: ${error.message}`, {
      provider,
      cause: error,
    });
  const message = error instanceof Error ? error.message : String(error);
  return new LlmError('bad_response', `"${provider}" sent an unreadable answer: ${message}`, {
    provider,
    cause: error,
  });
}

async function readStream(
  stream: AsyncIterable<ChatCompletionChunk>,
  request: LlmRequest,
): Promise<LlmResponse> {
  let content = '';
  let finish: string | null | undefined;
  let usage: OpenAI.CompletionUsage | null | undefined;
  let model: string | undefined;
  const calls: LlmToolCall[] = [];
  for await (const chunk of stream) {
    model ??= chunk.model;
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.finish_reason) finish = choice.finish_reason;
    const delta = choice.delta;
    if (delta?.content) {
      content += delta.content;
      request.onDelta?.({ type: 'text', text: delta.content });
    }
    for (const piece of delta?.tool_calls ?? []) {
      let call = calls[piece.index];
      if (!call) {
        call = { id: '', name: '', arguments: '' };
        calls[piece.index] = call;
      }
      if (piece.id) call.id = piece.id;
      if (piece.function?.name) call.name += piece.function.name;
      if (piece.function?.arguments) call.arguments += piece.function.arguments;
      request.onDelta?.({
        type: 'tool_call',
        index: piece.index,
        ...(piece.id ? { id: piece.id } : {}),
        ...(piece.function?.name ? { name: piece.function.name } : {}),
        ...(piece.function?.arguments ? { arguments: piece.function.arguments } : {}),
      });
    }
  }
  if (finish === undefined) throw new Error('the stream ended before the answer was finished');
  return {
    content,
    toolCalls: calls.filter(Boolean),
    finishReason: finishOf(finish),
    usage: usageOf(usage),
    model,
  };
}

/**
 * An {@link LlmProvider} for any OpenAI-compatible chat-completions server, on the official
 * `openai` client: tools, `json_schema` structured output, SSE streaming (when the request
 * has `onDelta`), usage, and every failure as a typed {@link LlmError}.
 */
export function createOpenAiProvider(
  options: OpenAiProviderOptions = {},
  host: { secrets?: SecretsProvider } = {},
): LlmProvider {
  const name = options.name ?? OPENAI_PROVIDER_DEFAULTS.name;
  const azure = options.azure;
  if (azure && !(typeof azure.apiVersion === 'string' && azure.apiVersion))
    throw openAiError(
      'LLMT_E_OPENAI_OPTIONS',
      `provider "${name}": azure.apiVersion is required with azure (the api-version of your Azure OpenAI resource, e.g. "2024-10-21")`,
    );
  if (azure && !options.baseUrl)
    throw openAiError(
      'LLMT_E_OPENAI_OPTIONS',
      `provider "${name}": baseUrl is required with azure (the resource endpoint, e.g. "https://<resource>.openai.azure.com")`,
    );
  const baseURL = options.baseUrl ?? OPENAI_PROVIDER_DEFAULTS.baseUrl;
  const streamUsage = options.streamUsage ?? OPENAI_PROVIDER_DEFAULTS.streamUsage;
  const clients = new Map<string, OpenAI>();

  const clientFor = async (tenantId: string): Promise<OpenAI> => {
    let apiKey = 'unused';
    if (options.apiKeySecret) {
      const value = await host.secrets?.get(options.apiKeySecret, { tenantId });
      if (value === undefined)
        throw openAiError(
          'LLMT_E_OPENAI_API_KEY',
          `provider "${name}": the secret "${options.apiKeySecret}" (apiKeySecret) has no value for tenant "${tenantId}"; set it in the secrets provider (e.g. the environment variable LLMTEAM_SECRET_${options.apiKeySecret.toUpperCase().replace(/[-.]/g, '_')})`,
        );
      apiKey = value;
    }
    let client = clients.get(apiKey);
    if (!client) {
      const common = {
        apiKey,
        timeout: options.timeoutMs ?? OPENAI_PROVIDER_DEFAULTS.timeoutMs,
        maxRetries: options.maxRetries ?? OPENAI_PROVIDER_DEFAULTS.maxRetries,
        defaultHeaders: options.headers,
      };
      client = azure
        ? new AzureOpenAI({
            ...common,
            endpoint: baseURL.replace(/\/+$/, ''),
            apiVersion: azure.apiVersion,
            ...(azure.deployment ? { deployment: azure.deployment } : {}),
          })
        : new OpenAI({ ...common, baseURL });
      clients.set(apiKey, client);
    }
    return client;
  };

  return {
    name,
    async chat(request) {
      const model = request.model || options.model;
      if (!model)
        throw openAiError(
          'LLMT_E_OPENAI_OPTIONS',
          `provider "${name}": no model; set "model" on the step or in the plugin options`,
        );
      const client = await clientFor(request.tenantId ?? 'default');
      const body: ChatCompletionCreateParamsBase = {
        model,
        messages: toWireMessages(request.messages),
        ...(request.tools?.length
          ? {
              tools: request.tools.map((tool) => ({
                type: 'function' as const,
                function: {
                  name: tool.name,
                  ...(tool.description ? { description: tool.description } : {}),
                  parameters: tool.parameters,
                },
              })),
            }
          : {}),
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.maxTokens !== undefined
          ? { [maxTokensFieldFor(model, options)]: request.maxTokens }
          : {}),
        ...(request.outputSchema
          ? {
              response_format: {
                type: 'json_schema' as const,
                json_schema: {
                  name: request.outputSchema.name ?? 'output',
                  schema: request.outputSchema.schema,
                  strict: request.outputSchema.strict ?? false,
                },
              },
            }
          : {}),
      };
      const callOptions = {
        signal: request.signal,
        ...(request.idempotencyKey ? { headers: { 'Idempotency-Key': request.idempotencyKey } } : {}),
      };
      try {
        if (request.onDelta) {
          const stream = await client.chat.completions.create(
            { ...body, stream: true, ...(streamUsage ? { stream_options: { include_usage: true } } : {}) },
            callOptions,
          );
          return await readStream(stream, request);
        }
        const completion = await client.chat.completions.create({ ...body, stream: false }, callOptions);
        const choice = completion.choices?.[0];
        if (!choice) throw new Error('the answer has no choices');
        return {
          content: choice.message.content ?? '',
          toolCalls: (choice.message.tool_calls ?? []).flatMap((call) =>
            call.type === 'function'
              ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }]
              : [],
          ),
          finishReason: finishOf(choice.finish_reason),
          usage: usageOf(completion.usage),
          model: completion.model,
        };
      } catch (error) {
        throw toLlmError(error, name, request.signal);
      }
    },
  };
}
