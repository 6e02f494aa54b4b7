import { LlmteamError } from '../errors.js';
import type { Commit } from './types.js';

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
