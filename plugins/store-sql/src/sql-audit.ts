import { type AuditDraft, type AuditRecord, chainAuditRow } from '@llmteam/core';
import { insertRows, type SqlExecutor } from './sql-executor.js';
import { AUDIT_HEAD_SQL, INSERT_AUDIT_SQL } from './sql-text.js';

/**
 * Chains drafts onto their tenants' heads inside the caller's transaction. `lock` runs
 * before each tenant's head is read (Postgres: an advisory lock, so the chain has no fork).
 */
export async function appendAudit(
  tx: SqlExecutor,
  drafts: AuditDraft[],
  lock: (tx: SqlExecutor, tenantId: string) => Promise<void>,
): Promise<AuditRecord[]> {
  const heads = new Map<string, Pick<AuditRecord, 'seq' | 'hash'> | undefined>();
  // Locks in a fixed order, so two commits touching the same tenants cannot deadlock.
  for (const tenantId of [...new Set(drafts.map((d) => d.tenantId))].sort()) {
    await lock(tx, tenantId);
    const { rows } = await tx.exec(AUDIT_HEAD_SQL, [tenantId]);
    heads.set(tenantId, rows[0] ? { seq: Number(rows[0].seq), hash: String(rows[0].hash) } : undefined);
  }
  const chained = drafts.map((draft) => {
    const entry = chainAuditRow(draft, heads.get(draft.tenantId));
    heads.set(draft.tenantId, entry.record);
    return entry;
  });
  // The body is stored as the hash covers it: verification reads it back byte for byte.
  await insertRows(
    tx,
    INSERT_AUDIT_SQL,
    chained.map(({ record: r, row }) => [r.tenantId, r.seq, r.timestamp, r.hash, row.body]),
  );
  return chained.map((c) => c.record);
}
