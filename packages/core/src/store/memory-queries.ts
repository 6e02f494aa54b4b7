import {
  checkSnapshotQuery,
  encodeSnapshotCursor,
  snapshotNewerThan,
  snapshotSegmentId,
} from './snapshot-query.js';
import type {
  InteractionRecord,
  ListInteractionsOptions,
  Page,
  SnapshotQuery,
  SnapshotRecord,
} from './types.js';
import { interactionDueKey, OPEN_INTERACTION_STATUSES } from './types.js';

/**
 * The `limit` entries with the smallest keys, in key order. A page (a small limit) of many
 * open requests keeps only a sorted window of `limit` instead of sorting them all, as an
 * index would hand out the first page.
 */
function smallestByKey<T>(entries: Array<readonly [string, T]>, limit: number): Array<readonly [string, T]> {
  if (limit <= 0) return [];
  if (limit * 8 >= entries.length) return entries.sort(([a], [b]) => (a < b ? -1 : 1)).slice(0, limit);
  const window: Array<readonly [string, T]> = [];
  for (const entry of entries) {
    if (window.length === limit && entry[0] >= (window[limit - 1] as readonly [string, T])[0]) continue;
    let lo = 0;
    let hi = window.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((window[mid] as readonly [string, T])[0] <= entry[0]) lo = mid + 1;
      else hi = mid;
    }
    window.splice(lo, 0, entry);
    if (window.length > limit) window.pop();
  }
  return window;
}

/**
 * The interactions of `tenantId` among `all` that `options` asks for: by status and run,
 * oldest first, or open ones by due time (`order: 'due'`, paged by `after`).
 */
export function selectInteractions(
  all: Iterable<InteractionRecord>,
  tenantId: string,
  options: ListInteractionsOptions,
): InteractionRecord[] {
  const statuses = options.status === undefined ? undefined : ([] as string[]).concat(options.status);
  const matching = [...all].filter(
    (i) =>
      i.tenantId === tenantId &&
      (!statuses || statuses.includes(i.status)) &&
      (!options.runId || i.runId === options.runId),
  );
  if (options.order === 'due') {
    const after = options.after ?? '';
    const keyed: Array<readonly [string, InteractionRecord]> = [];
    for (const i of matching) {
      if (!OPEN_INTERACTION_STATUSES.includes(i.status)) continue;
      const key = interactionDueKey(i);
      if (key > after) keyed.push([key, i]);
    }
    return smallestByKey(keyed, options.limit ?? Number.POSITIVE_INFINITY).map(([, i]) => i);
  }
  return matching
    .sort((a, b) =>
      a.createdAt < b.createdAt
        ? -1
        : a.createdAt > b.createdAt
          ? 1
          : a.interactionId < b.interactionId
            ? -1
            : 1,
    )
    .slice(0, options.limit ?? Number.POSITIVE_INFINITY);
}

/** One page of the snapshots of `tenantId` among `all` that `query` asks for, newest first. */
export function selectSnapshots(
  all: Iterable<SnapshotRecord>,
  tenantId: string,
  query: SnapshotQuery,
): Page<SnapshotRecord> {
  const { limit, after } = checkSnapshotQuery(query);
  const matching = [...all]
    .filter(
      (s) =>
        s.tenantId === tenantId &&
        (query.runId === undefined || s.runId === query.runId) &&
        (query.segmentId === undefined || snapshotSegmentId(s) === query.segmentId) &&
        (query.reason === undefined || s.reason === query.reason) &&
        (!after || snapshotNewerThan(after, s)),
    )
    .sort((a, b) => (snapshotNewerThan(a, b) ? -1 : 1));
  const items = matching.slice(0, limit);
  return {
    items,
    ...(matching.length > limit ? { nextCursor: encodeSnapshotCursor(items[items.length - 1]) } : {}),
  };
}
