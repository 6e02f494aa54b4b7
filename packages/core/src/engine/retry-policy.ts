import type { RetryPolicy, StepDefinition } from '../segment/types.js';
import { parseDuration } from '../util/duration.js';

/**
 * The retry delay after a failed attempt, or undefined when the step may not run again:
 * exponential back-off (`backoff * multiplier^(n-1)`, capped at `max_backoff`) with
 * `jitter` either way, in ms.
 *
 * @param attempts attempts made in this iteration so far (what `max_attempts` counts)
 * @param random a source in [0, 1), the engine's
 */
export function retryDelay(
  def: StepDefinition,
  retry: RetryPolicy | undefined,
  attempts: number,
  random: () => number,
): number | undefined {
  if (attempts >= (retry?.max_attempts ?? 1)) return undefined;
  const base = parseDuration(retry?.backoff ?? 1, `steps.${def.step_id}.retry.backoff`);
  const cap = parseDuration(retry?.max_backoff ?? 300, `steps.${def.step_id}.retry.max_backoff`);
  const raw = Math.min(cap, base * (retry?.multiplier ?? 2) ** (attempts - 1));
  const jitter = retry?.jitter ?? 0.2;
  return Math.max(0, Math.round(raw * (1 - jitter + 2 * jitter * random())));
}
