import { LlmteamError } from '../errors.js';
import type { SnapshotQuery, SnapshotRecord } from './types.js';

/** Page size of `querySnapshots` when the query names none. */
export const DEFAULT_SNAPSHOT_PAGE_SIZE = 50;
const MAX_SNAPSHOT_PAGE_SIZE = 500;

/** Where a page of snapshots ends: the last record's sort key. */
export interface SnapshotCursor {
  createdAt: string;
  snapshotId: string;
}

/** The opaque cursor after `record` (base64url of its sort key). */
export function encodeSnapshotCursor(record: Pick<SnapshotRecord, 'createdAt' | 'snapshotId'>): string {
  return Buffer.from(JSON.stringify([record.createdAt, record.snapshotId])).toString('base64url');
}

/**
 * Checks a snapshot query and returns its limit and decoded cursor.
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` naming `limit` or `after` and the fix.
 */
export function checkSnapshotQuery(query: SnapshotQuery): { limit: number; after?: SnapshotCursor } {
  const limit = query.limit ?? DEFAULT_SNAPSHOT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SNAPSHOT_PAGE_SIZE) {
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `snapshots: limit ${JSON.stringify(query.limit)} is out of range; pass an integer from 1 to ${MAX_SNAPSHOT_PAGE_SIZE}`,
    );
  }
  if (query.after === undefined) return { limit };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(query.after, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || !decoded.every((v) => typeof v === 'string')) {
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      'snapshots: `after` is not a cursor of this listing; pass the `nextCursor` of the previous page',
    );
  }
  return { limit, after: { createdAt: decoded[0], snapshotId: decoded[1] } };
}

/** The segment a snapshot belongs to (older records keep it only in their state). */
export function snapshotSegmentId(record: SnapshotRecord): string {
  return record.segmentId ?? record.state.run.segmentId;
}

/** True when `a` sorts before `b` in `querySnapshots` order (newest first). */
export function snapshotNewerThan(a: SnapshotCursor, b: SnapshotCursor): boolean {
  return a.createdAt !== b.createdAt ? a.createdAt > b.createdAt : a.snapshotId > b.snapshotId;
}
