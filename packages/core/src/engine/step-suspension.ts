import type { StepStateRecord, Suspension } from '../store/types.js';
import type { RunDriver } from './run-driver.js';
import type { SuspendSignal } from './suspend-signal.js';
import type { Transaction } from './transaction.js';

/**
 * Records a handler's suspension in `tx`: the step waits, and the interactions, timers and
 * events the handler handed over are committed with it, as the run's and step's own.
 */
export function recordSuspension(
  driver: RunDriver,
  tx: Transaction,
  rec: StepStateRecord,
  signal: SuspendSignal,
): void {
  const { stepId } = rec;
  const { payload, options } = signal;
  const suspension: Suspension = {
    kind: options.kind ?? 'action',
    payload,
    resumes: rec.suspension?.resumes ?? 0,
    ...(options.children?.length ? { children: [...options.children] } : {}),
  };
  driver.setStep(tx, { ...rec, status: 'waiting', suspension });
  tx.emit('step.suspended', stepId, { kind: suspension.kind });
  // Records a handler hands over belong to this run and step, whatever they say.
  const own = { tenantId: driver.tenantId, runId: driver.runId, stepId };
  for (const i of options.interactions ?? []) tx.interactions.set(i.interactionId, { ...i, ...own });
  for (const t of options.timers ?? [])
    tx.timersAdd.push({ ...t, timerId: t.timerId ?? driver.services.ids('tmr'), ...own });
  for (const e of options.events ?? []) tx.emitDraft(e, stepId);
  if (options.afterCommit) tx.after.push(options.afterCommit);
  // A child that ended while the handler still ran is heard now, not at the next poll.
  if (suspension.children) {
    const children = suspension.children;
    tx.after.push(() => void driver.services.childRuns.recheck(driver.tenantId, children));
  }
}
