import type { RunState, RunStateQuery, Store } from './types.js';
import { OPEN_INTERACTION_STATUSES } from './types.js';

/**
 * A run, its steps, its open interactions and its lease: the store's own
 * `readRunState` when it has one (one read), else the same built from `getInteraction`,
 * `getRun`, `getSteps` and `listInteractions` (the lease is then unknown).
 */
export async function readRunState(
  store: Pick<Store, 'readRunState' | 'getInteraction' | 'getRun' | 'getSteps' | 'listInteractions'>,
  tenantId: string,
  query: RunStateQuery,
): Promise<RunState | undefined> {
  if (typeof store.readRunState === 'function') return store.readRunState(tenantId, query);
  const named = query.interactionId ? await store.getInteraction(tenantId, query.interactionId) : undefined;
  const runId = query.runId ?? named?.runId;
  if (!runId) return undefined;
  const [run, steps, open] = await Promise.all([
    store.getRun(tenantId, runId),
    store.getSteps(tenantId, runId),
    store.listInteractions(tenantId, { runId, status: [...OPEN_INTERACTION_STATUSES] }),
  ]);
  if (!run) return undefined;
  const interactions =
    named && !open.some((i) => i.interactionId === named.interactionId) ? [...open, named] : open;
  return { run, steps, interactions };
}
