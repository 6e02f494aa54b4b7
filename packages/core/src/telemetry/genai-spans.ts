import { trace as otelTrace, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { StepTrace } from '../catalog/types.js';
import { isLlmteamError } from '../errors.js';
import type { LlmResponse } from '../llm/types.js';
import type { Clock } from '../util/clock.js';

/** What a model call span describes (OpenTelemetry GenAI semantic conventions). */
export interface ModelCallSpanOptions {
  /** The provider's registered name (`gen_ai.system`, `gen_ai.provider.name`). */
  provider: string;
  model: string;
  temperature?: number;
  maxTokens?: number;
  /** The agent's turn (1-based). */
  turn: number;
}

/** Starts the span of one model call (`chat <model>`), a child of the step's span. */
export function startModelCallSpan(trace: StepTrace, clock: Clock, call: ModelCallSpanOptions): Span {
  return trace.tracer.startSpan(
    `chat ${call.model}`,
    {
      kind: SpanKind.CLIENT,
      startTime: clock.now(),
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': call.provider,
        'gen_ai.provider.name': call.provider,
        'gen_ai.request.model': call.model,
        ...(call.temperature !== undefined ? { 'gen_ai.request.temperature': call.temperature } : {}),
        ...(call.maxTokens !== undefined ? { 'gen_ai.request.max_tokens': call.maxTokens } : {}),
        'llmteam.agent.turn': call.turn,
      },
    },
    trace.context,
  );
}

/** Ends a model call span with the response's model, finish reason and token usage. */
export function endModelCallSpan(span: Span, clock: Clock, response: LlmResponse): void {
  if (span.isRecording()) {
    span.setAttributes({
      ...(response.model ? { 'gen_ai.response.model': response.model } : {}),
      'gen_ai.response.finish_reasons': [response.finishReason],
      'gen_ai.usage.input_tokens': response.usage.inputTokens,
      'gen_ai.usage.output_tokens': response.usage.outputTokens,
      ...(response.usage.cachedInputTokens
        ? { 'gen_ai.usage.cache_read.input_tokens': response.usage.cachedInputTokens }
        : {}),
    });
  }
  span.end(clock.now());
}

/** Ends a span (model or tool call) that failed, with the error's code as `error.type`. */
export function failSpan(span: Span, clock: Clock, error: unknown): void {
  if (span.isRecording()) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
    span.setAttribute('error.type', isLlmteamError(error) ? error.code : ((error as Error)?.name ?? 'Error'));
  }
  span.end(clock.now());
}

/** Starts the span of one tool call (`execute_tool <name>`), a child of the step's span. */
export function startToolSpan(
  trace: StepTrace,
  clock: Clock,
  call: { name: string; id: string; turn: number },
): { span: Span; context: StepTrace['context'] } {
  const span = trace.tracer.startSpan(
    `execute_tool ${call.name}`,
    {
      kind: SpanKind.INTERNAL,
      startTime: clock.now(),
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': call.name,
        'gen_ai.tool.call.id': call.id,
        'llmteam.agent.turn': call.turn,
      },
    },
    trace.context,
  );
  return { span, context: otelTrace.setSpan(trace.context, span) };
}
