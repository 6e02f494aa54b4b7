import {
  type RetentionSweepOptions,
  type RetentionSweepResult,
  type Store,
  sweptTenants,
  type TypedAuditDraft,
} from '@llmteam/core';
import { SqlStoreError } from './errors.js';
import type { SqlStore } from './sql-store.js';

/** Options of {@link sweepRetention} (core's `RetentionSweepOptions`). */
export type SweepRetentionOptions = RetentionSweepOptions;

/**
 * What one sweep deleted, per tenant that had something to delete (core's
 * `RetentionSweepResult`). `snapshots` counts those the snapshot policy removed; a deleted
 * run's snapshots go with it uncounted; `snapshotIds` lists every snapshot that went.
 */
export type SweepRetentionResult = RetentionSweepResult;

/**
 * Applies every tenant's retention policy (`options.policies`, else each record's
 * `TenantRecord.retention`; the engine passes them capped by each tier's
 * `snapshot_retention_days`): deletes terminal runs completed more than
 * `completedRunsSeconds` ago, with everything derived from them, and snapshots (not
 * checkpoints) older than `snapshotsSeconds`. Each tenant's sweep is one transaction that
 * also appends a `retention.swept` audit entry listing what went. Tenants without a
 * policy keep everything. A running engine calls it on its schedule through the store's
 * `sweepRetention` role (`EngineOptions.retention.sweepEvery`, hourly by default).
 */
export async function sweepRetention(
  store: Store,
  options: SweepRetentionOptions,
): Promise<SweepRetentionResult> {
  const sql = store as Partial<SqlStore>;
  if (typeof sql.deleteExpired !== 'function') {
    // A store that wraps a SQL store (the Redis store) sweeps through it, and drops what went from its cache.
    if (typeof store.sweepRetention === 'function') return store.sweepRetention(options);
    throw new SqlStoreError(
      'LLMT_E_SQL_INVALID_OPTION',
      `sweepRetention: store ${store.name} is not a SQL store; pass the SQLite or Postgres store (or the store a Redis store wraps)`,
    );
  }
  const now = Date.parse(options.now);
  if (Number.isNaN(now))
    throw new SqlStoreError(
      'LLMT_E_SQL_INVALID_OPTION',
      `sweepRetention: now must be an ISO 8601 time, got ${JSON.stringify(options.now)}`,
    );
  const before = (seconds: number | undefined) =>
    seconds === undefined ? undefined : new Date(now - seconds * 1000).toISOString();
  const result: SweepRetentionResult = { tenants: [] };
  for (const { tenantId, retention: policy } of await sweptTenants(store, options)) {
    if (policy.completedRunsSeconds === undefined && policy.snapshotsSeconds === undefined) continue;
    const deleted = await sql.deleteExpired.call(
      store,
      tenantId,
      { runsBefore: before(policy.completedRunsSeconds), snapshotsBefore: before(policy.snapshotsSeconds) },
      (d): TypedAuditDraft<'retention.swept'> => ({
        tenantId,
        action: 'retention.swept',
        actor: options.actor ?? 'system',
        data: { runs: d.runs, snapshots: d.snapshots, policy: { ...policy } },
        timestamp: options.now,
      }),
    );
    if (deleted.runs.length || deleted.snapshotIds.length) result.tenants.push({ tenantId, ...deleted });
  }
  return result;
}
