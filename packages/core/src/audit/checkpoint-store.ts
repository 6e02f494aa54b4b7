import type { AuditCheckpoint } from './checkpoint-types.js';

/**
 * Optional store role: signed audit checkpoints, kept beside the log so verification can
 * tell a truncated or deleted log from a short one. A store without it keeps none (the
 * external anchors of `AuditOptions.anchors` still receive them).
 */
export interface AuditCheckpointStore {
  /** Stores a checkpoint; the same (tenant, size, timestamp) again is a no-op. */
  putCheckpoint(checkpoint: AuditCheckpoint): Promise<void>;
  /** The tenant's checkpoint of the largest size (the newest among equals). */
  latestCheckpoint(tenantId: string): Promise<AuditCheckpoint | undefined>;
}
