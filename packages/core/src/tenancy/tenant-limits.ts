/** A tenant's effective limits and features, and the refusal of a limit reached. */
import { LlmteamError } from '../errors.js';
import type { CommitAdmission } from '../store/commit-types.js';
import type { TenantRecord, TenantTier } from '../store/registry-records.js';
import {
  FEATURE_NAMES,
  type FeatureName,
  LIMIT_NAMES,
  type LimitName,
  normalizeTier,
  type TenantLimits,
  TIER_DEFAULTS,
} from './tiers.js';

/**
 * What a deployment allows every tenant (a licence's terms, see `verifyLicence`): each
 * tenant's limits are capped by `limits`, and no tenant is above `tier`.
 */
export interface DeploymentTerms {
  /** The highest tier a tenant may have; also the tier of the implicit `default` tenant. */
  tier: TenantTier;
  /** Ceilings over every tenant's limits. @default {} */
  limits?: TenantLimits;
  /** The features a tenant may have at most (a tenant's tier still decides its own). @default every feature */
  features?: readonly FeatureName[];
  /** How many tenants (besides the implicit `default`) may exist; checked at creation. @default unlimited */
  maxTenants?: number;
  /**
   * When the terms end (ISO 8601): from then on (engine clock) runs, segments and keys are
   * refused with `LLMT_E_LICENCE_INVALID`; runs already going carry on. @default never
   */
  expiresAt?: string;
  /** Who the licence is for, named in refusals. */
  licensee?: string;
  /** The licence's id, named in refusals. */
  licenceId?: string;
}

/** A tenant's tier, limits and features after the tier's defaults, its overrides and the deployment's ceilings. */
export interface EffectiveTenancy {
  tier: TenantTier;
  /** Limits by name; a name absent is unlimited. */
  limits: TenantLimits;
  features: FeatureName[];
}

const TIER_ORDER: Record<TenantTier, number> = { free: 0, starter: 1, professional: 2, enterprise: 3 };

/** The tier of `tier` and `ceiling` that is lower. */
export function capTier(tier: TenantTier, ceiling?: TenantTier): TenantTier {
  return ceiling && TIER_ORDER[ceiling] < TIER_ORDER[tier] ? ceiling : tier;
}

/**
 * The tier's default limits and features with the tenant's overrides merged over them,
 * capped by the deployment's terms (a tenant's tier above the licence's counts as the
 * licence's tier; a feature the licence does not allow stays off whatever the override).
 */
export function effectiveTenancy(
  record: Pick<TenantRecord, 'tier' | 'limits' | 'features'>,
  terms?: DeploymentTerms,
): EffectiveTenancy {
  const tier = capTier(normalizeTier(record.tier), terms?.tier);
  const defaults = TIER_DEFAULTS[tier];
  const limits: TenantLimits = { ...defaults.limits };
  for (const name of LIMIT_NAMES) {
    const own = record.limits?.[name];
    if (typeof own === 'number' && Number.isFinite(own)) limits[name] = own;
    const cap = terms?.limits?.[name];
    if (typeof cap === 'number' && Number.isFinite(cap)) limits[name] = Math.min(limits[name] ?? cap, cap);
  }
  const allowed = terms?.features;
  const own = record.features ?? {};
  const features = FEATURE_NAMES.filter(
    (f) => (own[f] ?? defaults.features.includes(f)) && (!allowed || allowed.includes(f)),
  );
  return { tier, limits, features };
}

/**
 * Checks per-tenant limit overrides: known names, whole numbers of 0 or more. Returns them.
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` naming the field and the allowed names.
 */
export function checkLimitOverrides(limits: unknown): TenantLimits {
  if (limits === undefined || limits === null) return {};
  if (typeof limits !== 'object' || Array.isArray(limits))
    throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', 'limits must be an object of limit name to number', {
      details: { field: 'limits' },
    });
  const out: TenantLimits = {};
  for (const [name, value] of Object.entries(limits)) {
    if (!(LIMIT_NAMES as readonly string[]).includes(name))
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `limits.${name} is not a limit; use one of ${LIMIT_NAMES.join(', ')}`,
        { details: { field: `limits.${name}` } },
      );
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `limits.${name} must be a whole number of 0 or more, got ${JSON.stringify(value)}`,
        { details: { field: `limits.${name}` } },
      );
    out[name as LimitName] = value;
  }
  return out;
}

/**
 * Checks per-tenant feature overrides: known feature names, each `true` (on) or `false` (off). Returns them.
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` naming the field and the allowed names.
 */
export function checkFeatureOverrides(features: unknown): Partial<Record<FeatureName, boolean>> {
  if (features === undefined || features === null) return {};
  if (typeof features !== 'object' || Array.isArray(features))
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      'features must be an object of feature name to true (on) or false (off)',
      { details: { field: 'features' } },
    );
  const out: Partial<Record<FeatureName, boolean>> = {};
  for (const [name, value] of Object.entries(features)) {
    if (!(FEATURE_NAMES as readonly string[]).includes(name))
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `features.${name} is not a feature; use one of ${FEATURE_NAMES.join(', ')}`,
        { details: { field: `features.${name}` } },
      );
    if (typeof value !== 'boolean')
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `features.${name} must be true (on) or false (off), got ${JSON.stringify(value)}`,
        { details: { field: `features.${name}` } },
      );
    out[name as FeatureName] = value;
  }
  return out;
}

/** What a refusal of a limit says: the limit, its value, the tier and what is used. */
export interface LimitRefusal {
  tenantId: string;
  limit: string;
  /** The limit's value. */
  value: number;
  tier: string;
  /** What the tenant uses of it now, when counted. */
  used?: number;
}

/** Options of a {@link LimitExceededError}. */
export interface LimitExceededOptions {
  /**
   * For a rate (a window that moves): how long until the window has room again, in ms.
   * Makes the error retryable, kept as `details.retry_after_ms`; a step's retry waits at
   * least that long. @default none: not retryable
   */
  retryAfterMs?: number;
}

/**
 * A limit of a tenant was reached (`LLMT_E_LIMIT_EXCEEDED`); `details` holds the
 * {@link LimitRefusal} (limit, value, tier, used, tenantId). Not retryable as such: it may
 * pass later (a run ends, a day or month begins) or once the limit is raised; a rate's
 * refusal (with `retryAfterMs`) is retryable once its window has room.
 */
export class LimitExceededError extends LlmteamError {
  /** `fix` replaces the default advice (a per-tenant override or a higher tier). */
  constructor(refusal: LimitRefusal, fix?: string, options: LimitExceededOptions = {}) {
    const used = refusal.used === undefined ? '' : ` (${refusal.used} in use)`;
    const { retryAfterMs } = options;
    super(
      'LLMT_E_LIMIT_EXCEEDED',
      `tenant "${refusal.tenantId}" reached its limit ${refusal.limit} = ${refusal.value}${used} of tier ${refusal.tier}; ${fix ?? `raise it with a per-tenant override (updateTenant limits.${refusal.limit}, \`llmteam tenants update ${refusal.tenantId} --limit ${refusal.limit}=N\`) or a higher tier`}`,
      {
        details: { ...refusal, ...(retryAfterMs !== undefined ? { retry_after_ms: retryAfterMs } : {}) },
        retryable: retryAfterMs !== undefined,
      },
    );
    this.name = 'LimitExceededError';
  }
}

/** The refusal of an admission counted at `used`; stores throw it from their commit. */
export function admissionRefusal(tenantId: string, check: CommitAdmission, used: number): LimitExceededError {
  return new LimitExceededError({ tenantId, limit: check.limit, value: check.max, tier: check.tier, used });
}
