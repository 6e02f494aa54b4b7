import { ConcurrencyError, LlmteamError } from '../errors.js';
import type { Commit } from './types.js';

/** What a store checks against its stored run once {@link checkCommit} passed. */
export interface CheckedCommit {
  /**
   * The run's `lastSeq` the commit continues: the stored run must be at
   * `commit.expectedVersion` with this `lastSeq` (0 for a new run), else the store refuses
   * the commit with a ConcurrencyError.
   */
  prevSeq: number;
}

/**
 * The commit invariants every store enforces, in one place: every record belongs to the
 * commit's tenant and run ({@link checkCommitScope}), `run.version` is
 * `expectedVersion + 1`, the events' `seq` run without gap and end at `run.lastSeq`, and a
 * new run's events start at 1. Stores call it before any write, then compare the stored run
 * with `expectedVersion` and the returned `prevSeq`.
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` for a commit that can never apply.
 * @throws ConcurrencyError (`LLMT_E_CONFLICT`) for events that do not continue each other,
 *   or a new run whose events do not start at 1.
 */
export function checkCommit(commit: Commit): CheckedCommit {
  checkCommitScope(commit);
  const { run, events } = commit;
  if (run.version !== commit.expectedVersion + 1) {
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `commit.run.version must be expectedVersion + 1 (${commit.expectedVersion + 1})`,
    );
  }
  const count = events?.length ?? 0;
  const firstSeq = count ? events![0].seq : run.lastSeq + 1;
  for (let i = 1; i < count; i++) {
    if (events![i].seq !== firstSeq + i)
      throw new ConcurrencyError(
        `event seq ${events![i].seq} does not continue the commit's events at ${firstSeq + i - 1}`,
      );
  }
  const prevSeq = firstSeq - 1;
  if (run.lastSeq !== prevSeq + count) {
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `commit.run.lastSeq must be ${prevSeq + count}, the last appended seq`,
    );
  }
  if (commit.expectedVersion === 0 && prevSeq !== 0)
    throw new ConcurrencyError(`event seq ${firstSeq} does not continue the new run ${commit.runId} at 0`);
  return { prevSeq };
}

/**
 * Refuses a commit holding a record of another tenant or run: a store writes each row under
 * the commit's own tenant and run, so nothing a step hands over can land elsewhere. Stores
 * call it before any write.
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` naming the first stray record.
 */
export function checkCommitScope(commit: Commit): void {
  const { tenantId, runId } = commit;
  if (commit.run.tenantId !== tenantId || commit.run.runId !== runId)
    stray(commit, 'the run header', commit.run.runId, commit.run.tenantId, commit.run.runId);
  if (commit.steps)
    for (const s of commit.steps)
      if (s.tenantId !== tenantId || s.runId !== runId) stray(commit, 'step', s.stepId, s.tenantId, s.runId);
  if (commit.events)
    for (const e of commit.events)
      if (e.tenant_id !== tenantId || e.run_id !== runId)
        stray(commit, 'event', e.event_id, e.tenant_id, e.run_id);
  if (commit.interactions)
    for (const i of commit.interactions)
      if (i.tenantId !== tenantId || i.runId !== runId)
        stray(commit, 'interaction', i.interactionId, i.tenantId, i.runId);
  if (commit.timers?.add)
    for (const t of commit.timers.add)
      if (t.tenantId !== tenantId || t.runId !== runId)
        stray(commit, 'timer', t.timerId, t.tenantId, t.runId);
  if (commit.snapshots)
    for (const s of commit.snapshots)
      if (s.tenantId !== tenantId || s.runId !== runId)
        stray(commit, 'snapshot', s.snapshotId, s.tenantId, s.runId);
  if (commit.audit)
    for (const a of commit.audit)
      if (a.tenantId !== tenantId || (a.runId !== undefined && a.runId !== runId))
        stray(commit, 'audit entry', a.action, a.tenantId, a.runId);
}

function stray(commit: Commit, what: string, id: string, tenantId: string, runId: string | undefined): never {
  throw new LlmteamError(
    'LLMT_E_INVALID_ARGUMENT',
    `commit of run ${commit.runId} (tenant ${commit.tenantId}) holds ${what} ${id} of ${runId === undefined ? '' : `run ${runId}, `}tenant ${tenantId}; a commit writes its own run only`,
  );
}
