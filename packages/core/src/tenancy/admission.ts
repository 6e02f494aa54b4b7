/** The limits a new run is admitted under, and their check on stores that cannot count in a commit. */
import type { CommitAdmission } from '../store/commit-types.js';
import type { Store } from '../store/types.js';
import { admissionRefusal, type EffectiveTenancy } from './tenant-limits.js';
import { CONCURRENT_RUN_STATUSES, countAdmission, dayStart } from './tenant-usage.js';

/**
 * The admissions of a run the tenant starts at `now`: `concurrent_runs`, `runs_per_day`
 * and `waiting_interactions`, each only when the tenant's limits set it.
 */
export function runAdmissions(tenancy: EffectiveTenancy, now: number): CommitAdmission[] {
  const { limits, tier } = tenancy;
  const out: CommitAdmission[] = [];
  if (limits.concurrent_runs !== undefined)
    out.push({
      count: 'runs',
      statuses: [...CONCURRENT_RUN_STATUSES],
      max: limits.concurrent_runs,
      limit: 'concurrent_runs',
      tier,
    });
  if (limits.runs_per_day !== undefined)
    out.push({
      count: 'runs',
      createdSince: dayStart(now),
      max: limits.runs_per_day,
      limit: 'runs_per_day',
      tier,
    });
  if (limits.waiting_interactions !== undefined)
    out.push({
      count: 'open_interactions',
      max: limits.waiting_interactions,
      limit: 'waiting_interactions',
      tier,
    });
  return out;
}

/**
 * Checks admissions by reading the store (for a store without `commitAdmission`; racy
 * across processes, exact within one).
 * @throws LimitExceededError for the first one at its max.
 */
export async function checkAdmissions(
  store: Store,
  tenantId: string,
  admissions: CommitAdmission[],
): Promise<void> {
  for (const check of admissions) {
    const used = await countAdmission(store, tenantId, check);
    if (used >= check.max) throw admissionRefusal(tenantId, check, used);
  }
}
