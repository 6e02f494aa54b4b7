/**
 * Queries over stored events across runs: by type, step, run, segment and time range,
 * in pages ordered by time. Stores answer them with `Store.queryEvents` (the SQL stores
 * with indexes); {@link queryEvents} falls back to reading run by run for a store that
 * has no such method, so the query works on every store.
 */
import { LlmteamError } from '../errors.js';
import type { EventQuery } from './event-query-types.js';
import type { Page, Store, WorktrailEvent } from './types.js';

export type { EventQuery };

/** Default of {@link EventQuery.limit}. */
export const DEFAULT_EVENT_QUERY_LIMIT = 100;
/** Largest {@link EventQuery.limit}. */
export const MAX_EVENT_QUERY_LIMIT = 1000;

/** Where a page ended: events are ordered by (timestamp, run id, seq). */
export interface EventCursor {
  timestamp: string;
  runId: string;
  seq: number;
}

/** Encodes the position after `event` as an opaque cursor. */
export function encodeEventCursor(event: WorktrailEvent): string {
  return Buffer.from(JSON.stringify([event.timestamp, event.run_id, event.seq])).toString('base64url');
}

/** Decodes a cursor made by {@link encodeEventCursor}. @throws LLMT_E_INVALID_ARGUMENT */
export function decodeEventCursor(cursor: string): EventCursor {
  try {
    const [timestamp, runId, seq] = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    ) as unknown[];
    if (typeof timestamp === 'string' && typeof runId === 'string' && Number.isInteger(seq)) {
      return { timestamp, runId, seq: seq as number };
    }
  } catch {
    // falls through to the error below
  }
  throw new LlmteamError(
    'LLMT_E_INVALID_ARGUMENT',
    `after is not a cursor of an events page: "${cursor}"; pass the nextCursor of the previous page`,
  );
}

/** A checked query: limit in range, times normalised to ISO 8601, cursor decoded. */
export interface NormalizedEventQuery extends Omit<EventQuery, 'after' | 'limit'> {
  limit: number;
  after?: EventCursor;
}

function isoTime(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `${name} must be an ISO 8601 time such as 2026-01-31T00:00:00Z, got "${value}"`,
    );
  }
  return new Date(ms).toISOString();
}

/** Checks a query, with errors naming the field. Stores call it before they query. */
export function normalizeEventQuery(query: EventQuery = {}): NormalizedEventQuery {
  const limit = query.limit ?? DEFAULT_EVENT_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENT_QUERY_LIMIT) {
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `limit must be an integer from 1 to ${MAX_EVENT_QUERY_LIMIT}, got ${query.limit}`,
    );
  }
  if (
    query.types !== undefined &&
    (!Array.isArray(query.types) || query.types.some((t) => typeof t !== 'string'))
  ) {
    throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', 'types must be a list of event type names');
  }
  const from = isoTime(query.from, 'from');
  const to = isoTime(query.to, 'to');
  const { after, limit: _limit, types, ...rest } = query;
  return {
    ...rest,
    ...(types?.length ? { types } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    limit,
    ...(after !== undefined ? { after: decodeEventCursor(after) } : {}),
  };
}

/** Orders events by (timestamp, run id, seq), the order of every events page. */
export function compareEvents(a: WorktrailEvent, b: WorktrailEvent): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  if (a.run_id !== b.run_id) return a.run_id < b.run_id ? -1 : 1;
  return a.seq - b.seq;
}

/** True when `event` matches the query's filters (not the segment, which needs the run). */
export function eventMatches(event: WorktrailEvent, q: NormalizedEventQuery): boolean {
  if (q.types && !q.types.includes(event.type)) return false;
  if (q.runId !== undefined && event.run_id !== q.runId) return false;
  if (q.stepId !== undefined && event.step_id !== q.stepId) return false;
  if (q.from !== undefined && event.timestamp < q.from) return false;
  if (q.to !== undefined && event.timestamp > q.to) return false;
  if (q.after) {
    const c = q.after;
    const cmp = compareEvents(event, {
      timestamp: c.timestamp,
      run_id: c.runId,
      seq: c.seq,
    } as WorktrailEvent);
    if (cmp <= 0) return false;
  }
  return true;
}

/** Builds a page from candidates already filtered and sorted, `limit + 1` of them at most needed. */
export function eventPage(sorted: WorktrailEvent[], limit: number): Page<WorktrailEvent> {
  const items = sorted.slice(0, limit);
  return sorted.length > limit
    ? { items, nextCursor: encodeEventCursor(items[items.length - 1]) }
    : { items };
}

/**
 * Queries a tenant's stored events: `store.queryEvents` when the store has it, otherwise
 * a scan over the tenant's runs (correct, but it reads every event of the runs in scope).
 */
export async function queryEvents(
  store: Store,
  tenantId: string,
  query: EventQuery = {},
): Promise<Page<WorktrailEvent>> {
  if (typeof store.queryEvents === 'function') return store.queryEvents(tenantId, query);
  const q = normalizeEventQuery(query);
  const matching: WorktrailEvent[] = [];
  const scan = async (runId: string) => {
    for (const event of await store.listEvents(tenantId, runId))
      if (eventMatches(event, q)) matching.push(event);
  };
  if (q.runId !== undefined) {
    const run = await store.getRun(tenantId, q.runId);
    if (run && (q.segmentId === undefined || run.segmentId === q.segmentId)) await scan(q.runId);
  } else {
    let after: string | undefined;
    do {
      const page = await store.listRuns(tenantId, { segmentId: q.segmentId, limit: 200, after });
      for (const run of page.items) await scan(run.runId);
      after = page.nextCursor;
    } while (after !== undefined);
  }
  return eventPage(matching.sort(compareEvents), q.limit);
}
