/**
 * The provider interface of `@llmteam/core`: what an LLM provider plugin implements and
 * what the `llm_agent` step speaks. Core imports no LLM library; plugins such as
 * `@llmteam/llm-openai` translate this to a wire format.
 */

/** A JSON Schema (draft-07 or 2020-12), e.g. tool parameters or a structured output. */
export type JsonSchema = Record<string, unknown>;

/** A tool call the model asked for. */
export interface LlmToolCall {
  /** The provider's id of the call; tool results answer it by this id. */
  id: string;
  /** Tool name, as given in {@link LlmToolDefinition.name}. */
  name: string;
  /** The arguments exactly as the model wrote them (a JSON text, possibly malformed). */
  arguments: string;
}

/** The system prompt. */
export interface LlmSystemMessage {
  role: 'system';
  content: string;
}

/** A user turn. */
export interface LlmUserMessage {
  role: 'user';
  content: string;
}

/** A model turn: text, tool calls, or both. */
export interface LlmAssistantMessage {
  role: 'assistant';
  content: string;
  toolCalls?: LlmToolCall[];
}

/** The result of one tool call, sent back to the model. */
export interface LlmToolResultMessage {
  role: 'tool';
  /** The {@link LlmToolCall.id} this answers. */
  toolCallId: string;
  /** The tool's name (some wire formats want it). */
  name: string;
  /** The result as text (JSON for structured results). */
  content: string;
  /** The tool failed or was refused; the content says why. @default false */
  isError?: boolean;
}

/** One message of a conversation. */
export type LlmMessage = LlmSystemMessage | LlmUserMessage | LlmAssistantMessage | LlmToolResultMessage;

/** A tool the model may call. */
export interface LlmToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: JsonSchema;
}

/** Asks for a structured answer: the final text must be JSON that fits `schema`. */
export interface LlmOutputSchema {
  /** A name for the schema (OpenAI requires one). @default "output" */
  name?: string;
  schema: JsonSchema;
  /** Ask the provider to enforce the schema strictly where it can. @default false */
  strict?: boolean;
}

/** A streamed piece of the answer. */
export type LlmDelta =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; index: number; id?: string; name?: string; arguments?: string };

/** Token usage of one call. */
export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache (part of `inputTokens`). @default 0 */
  cachedInputTokens?: number;
}

/** Why the model stopped. */
export type LlmFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'other';

/** One model call. */
export interface LlmRequest {
  model: string;
  messages: LlmMessage[];
  tools?: LlmToolDefinition[];
  /** Sampling temperature. @default the provider's */
  temperature?: number;
  /** Upper bound of output tokens. @default the provider's */
  maxTokens?: number;
  /** Structured output: the answer must be JSON that fits this schema. */
  outputSchema?: LlmOutputSchema;
  /** When set, the provider streams and calls this with each piece as it arrives. */
  onDelta?: (delta: LlmDelta) => void;
  /** Aborts the call (cancelled run, step timeout). */
  signal?: AbortSignal;
  /** The tenant the call is made for: providers read their secrets in its scope. @default "default" */
  tenantId?: string;
  /** Stable per call (`runId:stepId:turn`), for providers that dedupe requests. */
  idempotencyKey?: string;
}

/** What a model call returns. */
export interface LlmResponse {
  /** The answer's text ('' when the model only called tools). */
  content: string;
  /** Tool calls, in the order the model made them. */
  toolCalls: LlmToolCall[];
  finishReason: LlmFinishReason;
  usage: LlmUsage;
  /** The model that answered, as the provider reports it. */
  model?: string;
}

/**
 * An LLM provider a plugin registers (`api.registerLlmProvider`), found by `name` from a
 * step's `provider` config. `chat` throws {@link LlmError}s for provider failures.
 */
export interface LlmProvider {
  /** Name steps use, e.g. `openai`. */
  name: string;
  chat(request: LlmRequest): Promise<LlmResponse>;
}
