import {
  LlmteamError,
  OPEN_INTERACTION_STATUSES,
  type RunStatus,
  type RunView,
  type TenantEngine,
} from '@llmteam/core';
import { toRun } from './mappers.js';
import type { RunConnection } from './object-types.js';

function encode(index: number): string {
  return Buffer.from(JSON.stringify(['waiting', index])).toString('base64url');
}

function decode(cursor: string): number {
  try {
    const [kind, index] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (kind === 'waiting' && Number.isInteger(index) && (index as number) >= 0) return index as number;
  } catch {
    // fall through to the error below
  }
  throw new LlmteamError(
    'LLMT_E_INVALID_ARGUMENT',
    'after is not a cursor of runs(waitingOn:); pass the pageInfo.endCursor of the same filter',
  );
}

/**
 * Runs with an open request that `waitingOn` (a user, or `group:NAME`) may answer, the one
 * with the most urgent request first, a page at a time; `status` and `segmentId` narrow it.
 * `read` reads one run (the request's shared read, so a run read elsewhere is not read twice).
 */
export async function waitingRuns(
  tenant: TenantEngine,
  query: { waitingOn: string; status?: RunStatus; segmentId?: string; first: number; after?: string },
  read: (runId: string) => Promise<RunView | undefined> = (runId) => tenant.getRun(runId),
): Promise<RunConnection> {
  const open = await tenant.listInteractions({
    status: [...OPEN_INTERACTION_STATUSES],
    assignee: query.waitingOn,
  });
  const runIds = [...new Set(open.map((i) => i.runId))];
  const start = query.after ? decode(query.after) : 0;
  const edges: RunConnection['edges'] = [];
  let index = start;
  // The runs are read a page's worth at a time, in parallel, then taken in order.
  while (index < runIds.length && edges.length < query.first) {
    const batch = runIds.slice(index, index + Math.max(query.first - edges.length, 1));
    const views = await Promise.all(batch.map((id) => read(id)));
    for (const view of views) {
      index++;
      if (!view) continue;
      if (query.status && view.run.status !== query.status) continue;
      if (query.segmentId && view.run.segmentId !== query.segmentId) continue;
      edges.push({ node: toRun(view.run), cursor: encode(index) });
      if (edges.length === query.first) break;
    }
  }
  return {
    edges,
    pageInfo: { hasNextPage: index < runIds.length, endCursor: edges.at(-1)?.cursor },
  };
}
