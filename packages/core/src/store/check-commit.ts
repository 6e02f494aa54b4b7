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
  const stray = (what: string, id: string, t: string, r: string | undefined) => {
    if (t !== tenantId || (r !== undefined && r !== runId)) {
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `commit of run ${runId} (tenant ${tenantId}) holds ${what} ${id} of ${r === undefined ? '' : `run ${r}, `}tenant ${t}; a commit writes its own run only`,
      );
    }
  };
  stray('the run header', commit.run.runId, commit.run.tenantId, commit.run.runId);
  for (const s of commit.steps ?? []) stray('step', s.stepId, s.tenantId, s.runId);
  for (const e of commit.events ?? []) stray('event', e.event_id, e.tenant_id, e.run_id);
  for (const i of commit.interactions ?? []) stray('interaction', i.interactionId, i.tenantId, i.runId);
  for (const t of commit.timers?.add ?? []) stray('timer', t.timerId, t.tenantId, t.runId);
  for (const s of commit.snapshots ?? []) stray('snapshot', s.snapshotId, s.tenantId, s.runId);
  for (const a of commit.audit ?? []) stray('audit entry', a.action, a.tenantId, a.runId);
}
