import type { AuditCheckpoint, AuditCheckpointStore } from '@llmteam/core';
import type { SqlMemoryHost } from './sql-agent-memory.js';

const SQL = {
  put: `INSERT INTO audit_checkpoints (tenant_id, size, signed_at, body) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, size, signed_at) DO NOTHING`,
  latest: `SELECT body FROM audit_checkpoints WHERE tenant_id = ? ORDER BY size DESC, signed_at DESC LIMIT 1`,
};

/** The `auditCheckpoints` role of the SQL stores: one row per checkpoint in `audit_checkpoints`. */
export class SqlAuditCheckpoints implements AuditCheckpointStore {
  constructor(private readonly host: SqlMemoryHost) {}

  async putCheckpoint(checkpoint: AuditCheckpoint): Promise<void> {
    const { tenantId, size, timestamp } = checkpoint;
    await this.host.transaction((tx) =>
      tx.exec(SQL.put, [tenantId, size, timestamp, JSON.stringify(checkpoint)]),
    );
  }

  async latestCheckpoint(tenantId: string): Promise<AuditCheckpoint | undefined> {
    const { rows } = await this.host.read((q) => q.exec(SQL.latest, [tenantId]));
    return rows[0]
      ? (this.host.parse(rows[0].body, `audit_checkpoints(${tenantId})`) as AuditCheckpoint)
      : undefined;
  }
}
