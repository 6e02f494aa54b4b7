import type { AuditCheckpoint } from './checkpoint.js';
import type { AuditCheckpointStore } from './checkpoint-store.js';

/** Audit checkpoints in process memory: the `auditCheckpoints` role of `MemoryStore`. */
export class InMemoryAuditCheckpoints implements AuditCheckpointStore {
  private readonly latest = new Map<string, AuditCheckpoint>();

  async putCheckpoint(checkpoint: AuditCheckpoint): Promise<void> {
    const current = this.latest.get(checkpoint.tenantId);
    if (
      !current ||
      checkpoint.size > current.size ||
      (checkpoint.size === current.size && checkpoint.timestamp >= current.timestamp)
    )
      this.latest.set(checkpoint.tenantId, structuredClone(checkpoint));
  }

  async latestCheckpoint(tenantId: string): Promise<AuditCheckpoint | undefined> {
    const found = this.latest.get(tenantId);
    return found && structuredClone(found);
  }
}
