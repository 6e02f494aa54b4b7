import { createHash, randomBytes } from 'node:crypto';
import { LlmteamError } from '../errors.js';
import type { RandomHex } from '../util/random-hex.js';
import type { RunTrace } from './run-trace.js';

export type { RunTrace } from './run-trace.js';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const INVALID_TRACE = /^0+$/;

/** A parsed W3C `traceparent` header. */
export interface TraceParent {
  traceId: string;
  spanId: string;
  flags: number;
}

/**
 * Parses a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`). Returns undefined for
 * anything that is not one (the W3C rule for an incoming header: start a new trace).
 */
export function parseTraceparent(value: string | undefined | null): TraceParent | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  // Version ff is forbidden; version 00 has exactly four fields.
  if (version === 'ff' || (version === '00' && value.trim().length !== 55)) return undefined;
  if (INVALID_TRACE.test(traceId) || INVALID_TRACE.test(spanId)) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

/** Formats a W3C `traceparent` (version 00). */
export function formatTraceparent(traceId: string, spanId: string, flags = 1): string {
  return `00-${traceId}-${spanId}-${(flags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * The trace of a new run: it continues `traceparent` when one is given (its trace id, the
 * caller's span as parent, its sampled flag), else it starts a trace of its own.
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` when `traceparent` is given but is not a
 *   W3C trace context.
 */
export function newRunTrace(
  options: { traceparent?: string; tracestate?: string } = {},
  randomHex: RandomHex = (bytes) => randomBytes(bytes).toString('hex'),
): RunTrace {
  const spanId = randomHex(8);
  if (options.traceparent === undefined) return { traceId: randomHex(16), spanId, flags: 1 };
  const parent = parseTraceparent(options.traceparent);
  if (!parent) {
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `startRun: traceparent "${options.traceparent}" is not a W3C trace context; pass "00-<32 hex trace id>-<16 hex span id>-<2 hex flags>" or leave it out to start a new trace`,
      { details: { field: 'traceparent' } },
    );
  }
  return {
    traceId: parent.traceId,
    spanId,
    parentSpanId: parent.spanId,
    flags: parent.flags,
    ...(options.tracestate ? { tracestate: options.tracestate } : {}),
  };
}

function hex(input: string, length: number): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}

/**
 * The trace of a run: the stored one, or (a run created before tracing existed) one
 * derived from its id, so every run has a stable trace.
 */
export function runTraceOf(run: { runId: string; trace?: RunTrace }): RunTrace {
  return (
    run.trace ?? { traceId: hex(`trace:${run.runId}`, 32), spanId: hex(`run:${run.runId}`, 16), flags: 1 }
  );
}

/** 32 bits of FNV-1a over `text`, from `basis`, as 8 hex digits. */
function fnv1a(text: string, basis: number): string {
  let h = basis;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The span id of one attempt of a step: derived from the run's span, the step and the
 * attempt, so a process that takes the run over after a restart finds the same id. (Two
 * FNV-1a halves: ids need to be distinct within a trace, not secret, and this runs on every
 * step.)
 */
export function stepSpanId(trace: RunTrace, stepId: string, attempt: number): string {
  const key = `${trace.spanId}:${stepId}:${attempt}`;
  const id = fnv1a(key, 0x811c9dc5) + fnv1a(key, 0x050c5d1f);
  return id === '0000000000000000' ? '0000000000000001' : id;
}
