import type { TenantRecord } from './registry-records.js';

/** A retention policy in seconds (`TenantRecord.retention`); a field absent keeps forever. */
export type RetentionPolicy = NonNullable<TenantRecord['retention']>;

/** One tenant to sweep and the policy it is swept under. */
export interface TenantRetention {
  tenantId: string;
  retention: RetentionPolicy;
}

/** Options of `Store.sweepRetention`. */
export interface RetentionSweepOptions {
  /** The current time (ISO 8601); cutoffs are `now` minus each tenant's retention. */
  now: string;
  /** Who the audit entries name as the actor. @default 'system' */
  actor?: string;
  /**
   * The tenants to sweep, each with its policy. The engine passes every tenant with its
   * record's policy, snapshots capped by its tier's `snapshot_retention_days`.
   * @default every stored tenant with its record's `retention`
   */
  policies?: TenantRetention[];
}

/**
 * What one retention sweep deleted, per tenant that had something to delete. `snapshots`
 * counts those the snapshot policy removed; `snapshotIds` lists every snapshot that went,
 * those of deleted runs included (so a cache in front of the store can drop them).
 */
export interface RetentionSweepResult {
  tenants: Array<{ tenantId: string; runs: string[]; snapshots: number; snapshotIds: string[] }>;
}

/** The tenants a sweep covers: `options.policies`, else every stored tenant with its record's policy. */
export async function sweptTenants(
  store: { listTenants(): Promise<TenantRecord[]> },
  options: RetentionSweepOptions,
): Promise<TenantRetention[]> {
  if (options.policies) return options.policies;
  return (await store.listTenants()).flatMap((t) =>
    t.retention ? [{ tenantId: t.tenantId, retention: t.retention }] : [],
  );
}
