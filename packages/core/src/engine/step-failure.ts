import type { StepDefinition } from '../segment/types.js';
import type { StepStateRecord } from '../store/types.js';
import { retryDelay } from './retry-policy.js';
import type { RunDriver } from './run-driver.js';
import type { Transaction } from './transaction.js';

/**
 * Records a failed attempt in `tx`: a retry timer when the step's retry policy allows
 * another attempt (due no earlier than the error's `details.retry_after_ms`), a failure routed to the step's `error` port (`on_error: route`), or a
 * failed step that fails the run (`on_error: fail`). A cancelled run records nothing.
 */
export async function recordStepFailure(
  driver: RunDriver,
  tx: Transaction,
  def: StepDefinition,
  rec: StepStateRecord,
  error: unknown,
): Promise<void> {
  const info = driver.services.errorInfo(error);
  const cancelled = driver.run.status === 'cancelled' || info.code === 'LLMT_E_STEP_CANCELLED';
  if (cancelled) return;
  const maxRetries = driver.run.limits?.maxRetries;
  const retry =
    def.retry ??
    driver.services.catalog.get(def.step_type)?.defaultRetry?.(def, { actions: driver.services.actions }) ??
    (maxRetries ? { max_attempts: maxRetries + 1 } : undefined);
  const now = driver.services.clock.now();
  // How long the failed attempt ran (for step duration metrics of failures and retries).
  const duration_ms = rec.startedAt ? Math.max(0, now - Date.parse(rec.startedAt)) : 0;
  const policyDelay =
    info.retryable === false
      ? undefined
      : retryDelay(def, retry, rec.iterationAttempts, () => driver.services.random());
  // A refusal that says when it passes (a rate limit's window, an open breaker) is not
  // tried again before then: an earlier attempt would be refused again and waste one.
  const hint = (info.details as { retry_after_ms?: unknown } | undefined)?.retry_after_ms;
  const delay =
    policyDelay === undefined || typeof hint !== 'number' || !Number.isFinite(hint)
      ? policyDelay
      : Math.max(policyDelay, Math.ceil(hint));
  if (delay !== undefined) {
    const timerId = driver.services.ids('tmr');
    driver.setStep(tx, { ...rec, status: 'retry_wait', error: info });
    tx.timersAdd.push({
      timerId,
      tenantId: driver.tenantId,
      runId: driver.runId,
      stepId: rec.stepId,
      kind: 'retry',
      dueAt: new Date(now + delay).toISOString(),
      payload: { attempt: rec.attempt },
    });
    tx.emit('step.retrying', rec.stepId, {
      attempt: rec.attempt,
      next_attempt: rec.attempt + 1,
      delay_ms: delay,
      error: info,
      duration_ms,
    });
    return;
  }
  const onError = def.on_error ?? 'fail';
  const finishedAt = driver.services.nowIso();
  if (onError === 'route') {
    driver.setStep(tx, { ...rec, status: 'failed', error: info, outputs: { error: info }, finishedAt });
    tx.emit('step.failed', rec.stepId, { attempt: rec.attempt, error: info, routed: true, duration_ms });
    return;
  }
  driver.setStep(tx, { ...rec, status: 'failed', error: info, finishedAt });
  tx.emit('step.failed', rec.stepId, { attempt: rec.attempt, error: info, duration_ms });
  if (onError === 'fail') {
    await driver.failRun(
      tx,
      { code: info.code, message: `step "${rec.stepId}" failed: ${info.message}` },
      rec.stepId,
    );
  }
}
