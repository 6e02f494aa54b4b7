import type { IncomingHttpHeaders } from 'node:http';
import { parseTraceparent } from '@llmteam/core';

/**
 * The caller's W3C trace context from request headers: a valid `traceparent` (and its
 * `tracestate`), or undefined. An invalid header is ignored, as W3C Trace Context asks:
 * the run then starts a trace of its own.
 */
export function incomingTrace(
  headers: IncomingHttpHeaders,
): { traceparent: string; tracestate?: string; traceId: string } | undefined {
  const value = headers.traceparent;
  const traceparent = Array.isArray(value) ? value[0] : value;
  const parsed = parseTraceparent(traceparent);
  if (!parsed || !traceparent) return undefined;
  const state = headers.tracestate;
  const tracestate = Array.isArray(state) ? state.join(',') : state;
  return {
    traceparent: traceparent.trim().toLowerCase(),
    traceId: parsed.traceId,
    ...(tracestate ? { tracestate } : {}),
  };
}
