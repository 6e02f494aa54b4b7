import type { AuditDraft, AuditRecord } from '../store/types.js';
import { canonicalJson, sha256 } from '../util/canonical-json.js';

/** `prevHash` of a tenant's first audit entry. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/**
 * Chains one audit entry after `prev` (or the genesis hash): the hash covers the previous
 * hash and the canonical JSON of every field of the entry. Stores call this inside their
 * commit transaction so the chain has no gap and no fork.
 */
export function chainAuditEntry(
  draft: AuditDraft,
  prev: Pick<AuditRecord, 'seq' | 'hash'> | undefined,
): AuditRecord {
  const seq = (prev?.seq ?? 0) + 1;
  const prevHash = prev?.hash ?? AUDIT_GENESIS_HASH;
  const body = {
    tenantId: draft.tenantId,
    seq,
    action: draft.action,
    actor: draft.actor,
    runId: draft.runId,
    target: draft.target,
    data: draft.data,
    timestamp: draft.timestamp,
  };
  return { ...draft, seq, prevHash, hash: sha256(prevHash + canonicalJson(body)) };
}

/** Result of {@link verifyAuditChain}. */
export interface AuditVerification {
  valid: boolean;
  checked: number;
  /** The first broken link, when not valid. */
  brokenAt?: { seq: number; reason: string };
  headHash?: string;
}

/** Recomputes a tenant's chain (in seq order) and names the first broken link. */
export function verifyAuditChain(records: AuditRecord[]): AuditVerification {
  let prev: AuditRecord | undefined;
  for (const record of records) {
    const expectedSeq = (prev?.seq ?? 0) + 1;
    if (record.seq !== expectedSeq) {
      return {
        valid: false,
        checked: expectedSeq - 1,
        brokenAt: {
          seq: record.seq,
          reason: `expected seq ${expectedSeq}, found ${record.seq} (an entry is missing)`,
        },
      };
    }
    const recomputed = chainAuditEntry(
      {
        tenantId: record.tenantId,
        action: record.action,
        actor: record.actor,
        runId: record.runId,
        target: record.target,
        data: record.data,
        timestamp: record.timestamp,
      },
      prev,
    );
    if (record.prevHash !== recomputed.prevHash) {
      return {
        valid: false,
        checked: record.seq - 1,
        brokenAt: { seq: record.seq, reason: 'prevHash does not match the previous entry' },
      };
    }
    if (record.hash !== recomputed.hash) {
      return {
        valid: false,
        checked: record.seq - 1,
        brokenAt: { seq: record.seq, reason: 'hash does not match the entry (it was altered)' },
      };
    }
    prev = record;
  }
  return { valid: true, checked: records.length, headHash: prev?.hash };
}
