import { canonicalJson, sha256 } from '../util/canonical-json.js';
import type { TypedAuditDraft } from '../worktrail/audit-actions.js';
import type { ApiKeyRecord, RegistryChange, SegmentRecord, TenantRecord } from './types.js';

/** A registry write: the record written and the one it replaces (undefined for a new one). */
export type RegistryWrite =
  | { kind: 'tenant'; record: TenantRecord; previous?: TenantRecord }
  | { kind: 'api_key'; record: ApiKeyRecord; previous?: ApiKeyRecord }
  | { kind: 'segment'; record: SegmentRecord; previous?: SegmentRecord };

/**
 * The audit entry of a registry write, which a store appends to the tenant's chain in the
 * same transaction as the write: `tenant.created` or `tenant.updated`; `api_key.created`,
 * `api_key.revoked` or `api_key.updated`; `segment.upserted` (with the SHA-256 of the
 * definition's canonical JSON). Secrets and their hashes never enter the entry.
 */
export function draftRegistryAudit(write: RegistryWrite, change: RegistryChange = {}): TypedAuditDraft {
  const actor = change.actor ?? 'system';
  const at = (fallback?: string) => change.timestamp ?? fallback ?? new Date().toISOString();
  switch (write.kind) {
    case 'tenant': {
      const t = write.record;
      return {
        tenantId: t.tenantId,
        action: write.previous ? 'tenant.updated' : 'tenant.created',
        actor,
        target: t.tenantId,
        data: { name: t.name, tier: t.tier },
        timestamp: at(write.previous ? undefined : t.createdAt),
      };
    }
    case 'api_key': {
      const k = write.record;
      const revoked = k.revokedAt !== undefined && write.previous?.revokedAt === undefined;
      return {
        tenantId: k.tenantId,
        action: !write.previous ? 'api_key.created' : revoked ? 'api_key.revoked' : 'api_key.updated',
        actor,
        target: k.keyId,
        data: { roles: [...k.roles], subject: k.subject, ...(k.name === undefined ? {} : { name: k.name }) },
        timestamp: at(!write.previous ? k.createdAt : revoked ? k.revokedAt : undefined),
      };
    }
    case 'segment': {
      const s = write.record;
      return {
        tenantId: s.tenantId,
        action: 'segment.upserted',
        actor,
        target: `${s.segmentId}@${s.version}`,
        data: {
          segmentId: s.segmentId,
          version: s.version,
          replaced: write.previous !== undefined,
          sha256: sha256(canonicalJson(s.definition ?? null)),
        },
        timestamp: at(s.createdAt),
      };
    }
  }
}
