/** Limits on registry writes: segments and API keys, counted before the write. */
import type { ApiKeyRecord } from '../store/registry-records.js';
import type { Store } from '../store/types.js';
import { type EffectiveTenancy, LimitExceededError } from './tenant-limits.js';

/**
 * Refuses a new segment id once the tenant has `segments` of them (a new version of a
 * stored segment is always taken). @throws LimitExceededError
 */
export async function checkSegmentLimit(
  store: Store,
  tenantId: string,
  segmentId: string,
  tenancy: EffectiveTenancy,
): Promise<void> {
  const max = tenancy.limits.segments;
  if (max === undefined) return;
  if (await store.getSegment(tenantId, segmentId)) return;
  const used = (await store.listSegments(tenantId)).length;
  if (used >= max)
    throw new LimitExceededError({ tenantId, limit: 'segments', value: max, tier: tenancy.tier, used });
}

/**
 * Refuses a new key once the tenant has `api_keys` keys that are not revoked (a change to
 * a stored key, such as its revocation, is always taken). @throws LimitExceededError
 */
export async function checkApiKeyLimit(
  store: Store,
  record: ApiKeyRecord,
  tenancy: EffectiveTenancy,
): Promise<void> {
  const max = tenancy.limits.api_keys;
  if (max === undefined || record.revokedAt) return;
  const keys = await store.listApiKeys(record.tenantId);
  if (keys.some((k) => k.keyId === record.keyId)) return;
  const used = keys.filter((k) => !k.revokedAt).length;
  if (used >= max)
    throw new LimitExceededError({
      tenantId: record.tenantId,
      limit: 'api_keys',
      value: max,
      tier: tenancy.tier,
      used,
    });
}
