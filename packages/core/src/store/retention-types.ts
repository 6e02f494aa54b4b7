/** Options of `Store.sweepRetention`. */
export interface RetentionSweepOptions {
  /** The current time (ISO 8601); cutoffs are `now` minus each tenant's retention. */
  now: string;
  /** Who the audit entries name as the actor. @default 'system' */
  actor?: string;
}

/**
 * What one retention sweep deleted, per tenant that had something to delete. `snapshots`
 * counts those the snapshot policy removed; `snapshotIds` lists every snapshot that went,
 * those of deleted runs included (so a cache in front of the store can drop them).
 */
export interface RetentionSweepResult {
  tenants: Array<{ tenantId: string; runs: string[]; snapshots: number; snapshotIds: string[] }>;
}
