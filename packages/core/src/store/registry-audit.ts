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
 * same transaction as the write: `tenant.created`, `tenant.updated` (naming the fields that
 * changed), `tenant.suspended`, `tenant.resumed` or `tenant.deleted` (with the change's reason); `api_key.created`,
 * `api_key.revoked` or `api_key.updated`; `segment.upserted` (with the SHA-256 of the
 * definition's canonical JSON). Secrets and their hashes never enter the entry.
 */
export function draftRegistryAudit(write: RegistryWrite, change: RegistryChange = {}): TypedAuditDraft {
  const actor = change.actor ?? 'system';
  const at = (fallback?: string) => change.timestamp ?? fallback ?? new Date().toISOString();
  switch (write.kind) {
    case 'tenant': {
      const t = write.record;
      const before = write.previous;
      // A deleted id created again starts a new tenant, so it is `tenant.created` again.
      const isNew = !before || (before.deletedAt !== undefined && t.deletedAt === undefined);
      const deleted = !isNew && t.deletedAt !== undefined && before?.deletedAt === undefined;
      const suspended =
        !isNew && !deleted && t.suspendedAt !== undefined && before?.suspendedAt === undefined;
      const resumed = !isNew && !deleted && t.suspendedAt === undefined && before?.suspendedAt !== undefined;
      const reason = change.reason === undefined ? {} : { reason: change.reason };
      const base = { name: t.name, tier: t.tier };
      const settings = {
        ...base,
        limits: { ...t.limits },
        ...(t.features === undefined ? {} : { features: { ...t.features } }),
        ...(t.dataRegion === undefined ? {} : { dataRegion: t.dataRegion }),
      };
      const draft = {
        tenantId: t.tenantId,
        actor,
        target: t.tenantId,
        timestamp: at(isNew ? t.createdAt : deleted ? t.deletedAt : suspended ? t.suspendedAt : undefined),
      };
      if (isNew) return { ...draft, action: 'tenant.created', data: settings };
      if (deleted) return { ...draft, action: 'tenant.deleted', data: { ...base, ...reason } };
      if (suspended) return { ...draft, action: 'tenant.suspended', data: { ...base, ...reason } };
      if (resumed) return { ...draft, action: 'tenant.resumed', data: base };
      return { ...draft, action: 'tenant.updated', data: { ...settings, changed: changedFields(t, before) } };
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

/** Settings of a tenant that differ between two versions of its record, by field name. */
function changedFields(next: TenantRecord, previous: TenantRecord | undefined): string[] {
  const fields = ['name', 'tier', 'limits', 'features', 'dataRegion', 'retention'] as const;
  return fields.filter(
    (f) => canonicalJson(next[f] ?? null) !== canonicalJson((previous?.[f] as unknown) ?? null),
  );
}
