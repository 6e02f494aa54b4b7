import { randomBytes } from 'node:crypto';
import { type Context, context, createContextKey } from '@opentelemetry/api';

/** Ids a span is to have, set on the active context while the engine starts it. */
export interface PlannedSpanIds {
  traceId: string;
  spanId: string;
}

/** The context key under which {@link withPlannedIds} puts the planned ids. */
export const PLANNED_SPAN_IDS = createContextKey('llmteam.planned_span_ids');

/**
 * Calls `fn` with `ids` on the active context, so a {@link DurableIdGenerator} hands them
 * to the span `fn` starts. Needs a context manager (the SDK's `NodeSDK` and
 * `NodeTracerProvider.register()` install one).
 */
export function withPlannedIds<T>(ids: PlannedSpanIds, fn: () => T): T {
  return context.with(context.active().setValue(PLANNED_SPAN_IDS, ids), fn);
}

function planned(active: Context): PlannedSpanIds | undefined {
  return active.getValue(PLANNED_SPAN_IDS) as PlannedSpanIds | undefined;
}

/**
 * An OpenTelemetry SDK `IdGenerator` (pass it as `idGenerator` to the tracer provider)
 * that gives the spans the engine emits late the ids it planned for them: a run span or a
 * step span that outlives a restart is emitted when it ends, from stored data, and keeps
 * the id its children were already exported with. Every other span gets random ids, as
 * with the SDK's own generator.
 *
 * Without it, tracing still works, but such a late span gets a fresh id, so its children
 * point at a parent no backend has.
 */
export class DurableIdGenerator {
  generateTraceId(): string {
    return planned(context.active())?.traceId ?? randomBytes(16).toString('hex');
  }

  generateSpanId(): string {
    return planned(context.active())?.spanId ?? randomBytes(8).toString('hex');
  }
}
