/** Tenants, API keys and segments: the records of the registry. */

/**
 * Service tiers of a tenant, lowest first; each has default limits and feature flags
 * (see `TIER_DEFAULTS`). Records written with the former `standard` tier read as `starter`.
 */
export type TenantTier = 'free' | 'starter' | 'professional' | 'enterprise';

/** A tenant: the unit of isolation; every row and event carries its id. */
export interface TenantRecord {
  tenantId: string;
  name: string;
  tier: TenantTier;
  /** Per-tenant overrides of the tier's default limits, by limit name (see `LIMIT_NAMES`). */
  limits: Record<string, number>;
  /**
   * Per-tenant feature flags over the tier's, by feature name (see `FEATURE_NAMES`): `true`
   * turns a feature on, `false` off; a feature absent follows the tier. A licence still caps them.
   */
  features?: Record<string, boolean>;
  /** Where the tenant's data is kept (e.g. `eu-west-1`); recorded and shown, set at creation or update. */
  dataRegion?: string;
  /** Retention policy in seconds; absent keeps forever. */
  retention?: { completedRunsSeconds?: number; snapshotsSeconds?: number };
  createdAt: string;
  /** When set, the tenant's keys are refused (HTTP and live graphql-ws sessions). */
  suspendedAt?: string;
  /** Why the tenant is suspended, as the person who suspended it said. */
  suspensionReason?: string;
  /**
   * When set, the tenant was deleted with its data at this time: it is refused like a
   * tenant that does not exist, and its id may be created again. Its audit chain is kept.
   */
  deletedAt?: string;
}

/** Roles an API key carries (ARCHITECTURE section 8). */
export type Role = 'admin' | 'operator' | 'approver' | 'viewer' | 'unsealer';

/** An API key as the registry stores it: tenant, roles, subject and groups, with only a hash of its secret. */
export interface ApiKeyRecord {
  keyId: string;
  tenantId: string;
  /** Hex SHA-256 of the secret; the secret itself is never stored. */
  secretHash: string;
  roles: Role[];
  name?: string;
  subject: string;
  groups: string[];
  createdAt: string;
  revokedAt?: string;
  /** The key is refused from this time on (ISO); absent: it does not expire. */
  expiresAt?: string;
}

/** One stored version of a segment definition. */
export interface SegmentRecord {
  tenantId: string;
  segmentId: string;
  version: string;
  name: string;
  definition: unknown;
  createdAt: string;
}
