import { LlmteamError } from '../errors.js';
import type { RunRecord, RunStatus, StepStatus } from '../store/types.js';

/**
 * The run state machine (ARCHITECTURE section 3): the statuses a run may move to from each
 * status. Terminal statuses lead nowhere, except that restoring a snapshot puts any run
 * back to `running` ({@link restoreRunStatus}).
 */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  pending: ['running', 'paused', 'cancelled', 'failed'],
  running: ['waiting_human', 'waiting_action', 'paused', 'completed', 'failed', 'cancelled'],
  waiting_human: ['running', 'waiting_action', 'paused', 'completed', 'failed', 'cancelled'],
  waiting_action: ['running', 'waiting_human', 'paused', 'completed', 'failed', 'cancelled'],
  paused: ['running', 'waiting_human', 'waiting_action', 'failed', 'cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
};

/**
 * The step state machine: the statuses a step may move to from each status. A settled
 * step goes back to `pending` only when a loop or a snapshot restore sends it back.
 */
export const STEP_TRANSITIONS: Readonly<Record<StepStatus, readonly StepStatus[]>> = {
  pending: ['running', 'skipped', 'cancelled'],
  // Back to pending: a crashed or lost worker's step runs again with the same attempt.
  running: ['completed', 'failed', 'waiting', 'retry_wait', 'cancelled', 'pending'],
  waiting: ['pending', 'completed', 'failed', 'retry_wait', 'cancelled'],
  retry_wait: ['pending', 'cancelled'],
  completed: ['pending'],
  failed: ['pending'],
  skipped: ['pending'],
  cancelled: ['pending'],
};

/** True for a run status after which nothing changes any more. */
export function isTerminalRun(status: RunStatus): boolean {
  return RUN_TRANSITIONS[status].length === 0;
}

function illegal(kind: 'run' | 'step', id: string, from: string, to: string, allowed: readonly string[]) {
  return new LlmteamError(
    'LLMT_E_ILLEGAL_TRANSITION',
    `${kind} "${id}" cannot move from ${from} to ${to}; from ${from} it may move to ${allowed.join(', ') || 'nothing (it is final)'}`,
    { details: { kind, from, to } },
  );
}

/**
 * Moves a run to `to` (staying put is always allowed).
 * @throws LlmteamError `LLMT_E_ILLEGAL_TRANSITION` when the table forbids it.
 */
export function moveRun(run: RunRecord, to: RunStatus): void {
  const from = run.status;
  if (from === to) return;
  if (!RUN_TRANSITIONS[from].includes(to)) throw illegal('run', run.runId, from, to, RUN_TRANSITIONS[from]);
  run.status = to;
}

/** Puts a run back to `running` from any status: a snapshot restore. */
export function restoreRunStatus(run: RunRecord): void {
  run.status = 'running';
}

/**
 * Checks a step's move from `from` to `to` (staying put is always allowed).
 * @throws LlmteamError `LLMT_E_ILLEGAL_TRANSITION` when the table forbids it.
 */
export function checkStepMove(stepId: string, from: StepStatus, to: StepStatus): void {
  if (from !== to && !STEP_TRANSITIONS[from].includes(to))
    throw illegal('step', stepId, from, to, STEP_TRANSITIONS[from]);
}
