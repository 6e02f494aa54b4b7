import {
  type ApiKeyRecord,
  draftRegistryAudit,
  type RegistryWrite,
  type SegmentRecord,
  type TenantRecord,
} from '@llmteam/core';
import type { RowCodec } from './sql-codecs.js';
import type { SqlExecutor } from './sql-executor.js';
import { REGISTRY_SQL } from './sql-text.js';

/** One registry write: how to read the record it replaces, and how to write it. */
export interface RegistryStatement {
  select: string;
  selectParams: unknown[];
  upsert: string;
  upsertParams: unknown[];
  write(previous: unknown): RegistryWrite;
}

/** The statements of each registry write. */
export const registryStatements = {
  tenant: (tenant: TenantRecord): RegistryStatement => ({
    select: REGISTRY_SQL.tenant,
    selectParams: [tenant.tenantId],
    upsert: REGISTRY_SQL.putTenant,
    upsertParams: [tenant.tenantId, JSON.stringify(tenant)],
    write: (previous) => ({ kind: 'tenant', record: tenant, previous: previous as TenantRecord | undefined }),
  }),
  apiKey: (key: ApiKeyRecord): RegistryStatement => ({
    select: REGISTRY_SQL.apiKey,
    selectParams: [key.tenantId, key.keyId],
    upsert: REGISTRY_SQL.putApiKey,
    upsertParams: [key.tenantId, key.keyId, key.secretHash, JSON.stringify(key)],
    write: (previous) => ({ kind: 'api_key', record: key, previous: previous as ApiKeyRecord | undefined }),
  }),
  segment: (segment: SegmentRecord): RegistryStatement => ({
    select: REGISTRY_SQL.segmentVersion,
    selectParams: [segment.tenantId, segment.segmentId, segment.version],
    upsert: REGISTRY_SQL.putSegment,
    upsertParams: [
      segment.tenantId,
      segment.segmentId,
      segment.version,
      segment.tenantId,
      segment.segmentId,
      JSON.stringify(segment),
    ],
    write: (previous) => ({
      kind: 'segment',
      record: segment,
      previous: previous as SegmentRecord | undefined,
    }),
  }),
};

/**
 * Writes a registry record inside the caller's transaction and returns the audit draft
 * the caller appends in the same transaction.
 */
export async function writeRegistry(
  tx: SqlExecutor,
  codec: RowCodec,
  statement: RegistryStatement,
  change: Parameters<typeof draftRegistryAudit>[1],
): Promise<ReturnType<typeof draftRegistryAudit>> {
  const { rows } = await tx.exec(statement.select, statement.selectParams);
  const previous = rows[0]
    ? codec.parse(rows[0].body, `registry(${statement.selectParams.join(', ')})`)
    : undefined;
  await tx.exec(statement.upsert, statement.upsertParams);
  return draftRegistryAudit(statement.write(previous), change);
}

/** The registry's reads. */
export class SqlRegistryReads {
  constructor(private readonly codec: RowCodec) {}

  async tenant(q: SqlExecutor, tenantId: string): Promise<TenantRecord | undefined> {
    const { rows } = await q.exec(REGISTRY_SQL.tenant, [tenantId]);
    return rows[0] ? (this.codec.parse(rows[0].body, `tenants(${tenantId})`) as TenantRecord) : undefined;
  }

  async tenants(q: SqlExecutor): Promise<TenantRecord[]> {
    const { rows } = await q.exec(REGISTRY_SQL.tenants, []);
    return rows.map((r) => this.codec.parse(r.body, `tenants(${r.tenant_id})`) as TenantRecord);
  }

  async apiKeyByHash(q: SqlExecutor, secretHash: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await q.exec(REGISTRY_SQL.apiKeyByHash, [secretHash]);
    return rows[0]
      ? (this.codec.parse(rows[0].body, `api_keys(${rows[0].key_id})`) as ApiKeyRecord)
      : undefined;
  }

  async apiKeys(q: SqlExecutor, tenantId: string): Promise<ApiKeyRecord[]> {
    const { rows } = await q.exec(REGISTRY_SQL.apiKeys, [tenantId]);
    return rows.map((r) => this.codec.parse(r.body, `api_keys(${tenantId}, ${r.key_id})`) as ApiKeyRecord);
  }

  async segment(
    q: SqlExecutor,
    tenantId: string,
    segmentId: string,
    version?: string,
  ): Promise<SegmentRecord | undefined> {
    const { rows } =
      version === undefined
        ? await q.exec(REGISTRY_SQL.latestSegment, [tenantId, segmentId])
        : await q.exec(REGISTRY_SQL.segmentVersion, [tenantId, segmentId, version]);
    return rows[0]
      ? (this.codec.parse(rows[0].body, `segments(${tenantId}, ${segmentId})`) as SegmentRecord)
      : undefined;
  }

  async segments(q: SqlExecutor, tenantId: string): Promise<SegmentRecord[]> {
    const { rows } = await q.exec(REGISTRY_SQL.segments, [tenantId]);
    return rows.map(
      (r) => this.codec.parse(r.body, `segments(${tenantId}, ${r.segment_id})`) as SegmentRecord,
    );
  }
}
