import { LlmteamError, parseDuration, type TenantRecord } from '@llmteam/core';

/** A change of a tenant's retention: a duration (ISO 8601 or seconds), `never`, or left out (unchanged). */
export interface RetentionChange {
  completedRuns?: string;
  snapshots?: string;
}

function seconds(value: string, field: string): number | undefined {
  if (value.trim().toLowerCase() === 'never') return undefined;
  const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  const ms = parseDuration(parsed, field);
  if (ms < 1000)
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `${field}: ${JSON.stringify(value)} keeps nothing; give at least one second (e.g. "P30D"), or "never" to keep everything`,
    );
  return ms / 1000;
}

/**
 * The tenant record with its retention changed: each given field set (a duration) or
 * cleared (`never`), the others kept. The retention sweep of the SQL stores applies it.
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` naming the field for a bad duration.
 */
export function withRetention(tenant: TenantRecord, change: RetentionChange): TenantRecord {
  const next = { ...(tenant.retention ?? {}) };
  if (change.completedRuns !== undefined)
    next.completedRunsSeconds = seconds(change.completedRuns, 'completedRuns');
  if (change.snapshots !== undefined) next.snapshotsSeconds = seconds(change.snapshots, 'snapshots');
  if (next.completedRunsSeconds === undefined) delete next.completedRunsSeconds;
  if (next.snapshotsSeconds === undefined) delete next.snapshotsSeconds;
  const { retention: _old, ...rest } = tenant;
  return Object.keys(next).length ? { ...rest, retention: next } : rest;
}
