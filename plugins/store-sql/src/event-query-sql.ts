import type { NormalizedEventQuery, WorktrailEvent } from '@llmteam/core';
import type { SqlRow } from './entities.js';
import { eventId } from './sql-codecs.js';

/**
 * The SELECT of one events page for `Store.queryEvents`, with `?` placeholders. It asks
 * for `limit + 1` rows (the extra one says whether a next page exists) in the order of the
 * `events_by_type` and `events_by_time` indexes, so a page reads only its own rows.
 */
export function eventQuerySql(tenantId: string, q: NormalizedEventQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  let sql = 'SELECT e.run_id, e.seq, e.event_id, e.type, e.step_id, e.at, e.data FROM events e';
  if (q.segmentId !== undefined) {
    sql += ' JOIN runs r ON r.tenant_id = e.tenant_id AND r.run_id = e.run_id AND r.segment_id = ?';
    params.push(q.segmentId);
  }
  sql += ' WHERE e.tenant_id = ?';
  params.push(tenantId);
  if (q.types?.length) {
    sql += ` AND e.type IN (${q.types.map(() => '?').join(', ')})`;
    params.push(...q.types);
  }
  if (q.runId !== undefined) {
    sql += ' AND e.run_id = ?';
    params.push(q.runId);
  }
  if (q.stepId !== undefined) {
    sql += ' AND e.step_id = ?';
    params.push(q.stepId);
  }
  if (q.from !== undefined) {
    sql += ' AND e.at >= ?';
    params.push(q.from);
  }
  if (q.to !== undefined) {
    sql += ' AND e.at <= ?';
    params.push(q.to);
  }
  if (q.after) {
    sql += ' AND (e.at, e.run_id, e.seq) > (?, ?, ?)';
    params.push(q.after.timestamp, q.after.runId, q.after.seq);
  }
  sql += ' ORDER BY e.at, e.run_id, e.seq LIMIT ?';
  params.push(q.limit + 1);
  return { sql, params };
}

/** Maps a row of {@link eventQuerySql} to an event; `parse` reads the JSON `data` column. */
export function eventFromRow(
  tenantId: string,
  r: SqlRow,
  parse: (value: unknown, where: string) => unknown,
): WorktrailEvent {
  const event: WorktrailEvent = {
    event_id: eventId(r.event_id, String(r.run_id), r.seq),
    tenant_id: tenantId,
    run_id: String(r.run_id),
    seq: Number(r.seq),
    type: String(r.type),
    timestamp: String(r.at),
    data: parse(r.data, `events(${tenantId}, ${r.run_id}, ${r.seq})`) as Record<string, unknown>,
  };
  if (r.step_id != null) event.step_id = String(r.step_id);
  return event;
}
