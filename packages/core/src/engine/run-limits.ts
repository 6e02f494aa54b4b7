import { LlmteamError } from '../errors.js';
import type { SegmentDefinition } from '../segment/types.js';
import type { RunLimits, TimerRecord } from '../store/types.js';
import { parseDuration } from '../util/duration.js';

/** Timer kind of a run's deadline (`timeout` of the segment or of `startRun`). */
export const RUN_TIMEOUT_TIMER = 'run.timeout';

/** What `startRun` may set beyond the segment's own run limits. */
export interface RunLimitOptions {
  /** Overrides the segment's `timeout`. */
  timeout?: string | number;
  /** Overrides the segment's `max_retries`. */
  maxRetries?: number;
}

/**
 * The run limits of a new run: `startRun`'s options over the segment's `timeout` and
 * `max_retries`. Undefined when neither sets any.
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` naming the field for a bad value.
 */
export function resolveRunLimits(
  segment: SegmentDefinition,
  options: RunLimitOptions,
): Omit<RunLimits, 'deadline' | 'timerId'> | undefined {
  const limits: Omit<RunLimits, 'deadline' | 'timerId'> = {};
  if (options.timeout !== undefined && options.timeout !== null)
    limits.timeoutMs = parseDuration(options.timeout, 'startRun: timeout');
  else if (segment.timeout !== undefined)
    limits.timeoutMs = parseDuration(segment.timeout, `segment "${segment.segment_id}": timeout`);
  const retries = options.maxRetries ?? segment.max_retries;
  if (retries !== undefined && retries !== null) {
    if (!Number.isInteger(retries) || retries < 0 || retries > 1000) {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `${options.maxRetries !== undefined ? 'startRun: maxRetries' : `segment "${segment.segment_id}": max_retries`} is ${JSON.stringify(retries)}; give a whole number from 0 to 1000 (retries after the first attempt)`,
      );
    }
    limits.maxRetries = retries;
  }
  return limits.timeoutMs === undefined && limits.maxRetries === undefined ? undefined : limits;
}

/**
 * Arms a run's deadline from `now`: the limits with their `deadline` and timer id, and the
 * durable timer that fails the run when it is due. No timer when the run has no timeout.
 */
export function armDeadline(
  limits: RunLimits | undefined,
  run: { tenantId: string; runId: string },
  now: number,
  timerId: string,
): { limits?: RunLimits; timer?: TimerRecord } {
  if (limits?.timeoutMs === undefined) return { limits };
  const deadline = new Date(now + limits.timeoutMs).toISOString();
  return {
    limits: { ...limits, deadline, timerId },
    timer: {
      timerId,
      tenantId: run.tenantId,
      runId: run.runId,
      kind: RUN_TIMEOUT_TIMER,
      dueAt: deadline,
      payload: { timeout_ms: limits.timeoutMs },
    },
  };
}

/** A timeout in ms as the ISO 8601 duration shown in messages (`PT1H30M`). */
export function formatTimeout(ms: number): string {
  let s = Math.round(ms / 1000);
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const time = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || (!d && !h && !m) ? `${s}S` : ''}`;
  return `P${d ? `${d}D` : ''}${time ? `T${time}` : ''}`;
}
