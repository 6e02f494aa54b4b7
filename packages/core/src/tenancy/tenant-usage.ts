/** Counting what a tenant uses of its limits, from the store's reads. */
import { tenantTokenUsage } from '../llm/token-usage.js';
import type { CommitAdmission } from '../store/commit-types.js';
import type { RunStatus } from '../store/run-records.js';
import { OPEN_INTERACTION_STATUSES, type Store } from '../store/types.js';
import { storedActionCalls } from './action-call-limit.js';
import type { LimitName } from './tiers.js';

/** Run statuses that hold a `concurrent_runs` slot: not ended, not waiting on a person. */
export const CONCURRENT_RUN_STATUSES: readonly RunStatus[] = [
  'pending',
  'running',
  'waiting_action',
  'paused',
];

/**
 * What a tenant uses now, by limit; `action_calls_per_minute` counts the stored calls of
 * the last minute. A limit not counted (`snapshot_retention_days`) is absent.
 */
export type TenantUsage = Partial<Record<LimitName, number>>;

/** 00:00 UTC of the day that holds `now`. */
export function dayStart(now: number): string {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())).toISOString();
}

/** The first instant (UTC) of the month that holds `now`. */
export function monthStart(now: number): string {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString();
}

/** Runs of a tenant in `statuses` (all when absent), created at or after `createdSince`. */
export async function countRuns(
  store: Store,
  tenantId: string,
  statuses?: readonly RunStatus[],
  createdSince?: string,
): Promise<number> {
  let count = 0;
  for (const status of statuses ?? [undefined]) {
    let after: string | undefined;
    for (;;) {
      const page = await store.listRuns(tenantId, { ...(status ? { status } : {}), limit: 500, after });
      for (const run of page.items) {
        if (createdSince && run.createdAt < createdSince) continue;
        count++;
      }
      // Newest first: once a page reaches before the window, the rest is older still.
      const last = page.items[page.items.length - 1];
      if (!page.nextCursor || (createdSince && last && last.createdAt < createdSince)) break;
      after = page.nextCursor;
    }
  }
  return count;
}

/** Open interactions of a tenant. */
export async function countOpenInteractions(store: Store, tenantId: string): Promise<number> {
  return (await store.listInteractions(tenantId, { status: [...OPEN_INTERACTION_STATUSES] })).length;
}

/** What one admission counts, read outside any transaction (stores without `commitAdmission`). */
export function countAdmission(store: Store, tenantId: string, check: CommitAdmission): Promise<number> {
  return check.count === 'open_interactions'
    ? countOpenInteractions(store, tenantId)
    : countRuns(store, tenantId, check.statuses, check.createdSince);
}

/** A tenant's usage of its counted limits at `now`. */
export async function tenantUsage(store: Store, tenantId: string, now: number): Promise<TenantUsage> {
  const [concurrent, today, segments, waiting, keys, tokens, calls] = await Promise.all([
    countRuns(store, tenantId, CONCURRENT_RUN_STATUSES),
    countRuns(store, tenantId, undefined, dayStart(now)),
    store.listSegments(tenantId),
    countOpenInteractions(store, tenantId),
    store.listApiKeys(tenantId),
    tenantTokenUsage(store, tenantId, { from: monthStart(now) }),
    storedActionCalls(store, tenantId, now),
  ]);
  return {
    concurrent_runs: concurrent,
    runs_per_day: today,
    segments: segments.length,
    waiting_interactions: waiting,
    api_keys: keys.filter((k) => !k.revokedAt).length,
    llm_tokens_per_month: tokens.inputTokens + tokens.outputTokens,
    action_calls_per_minute: calls.length,
  };
}
