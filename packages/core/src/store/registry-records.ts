/** Tenants, API keys and segments: the records of the registry. */

/** Service tiers of a tenant. */
export type TenantTier = 'free' | 'standard' | 'enterprise';

/** A tenant: the unit of isolation; every row and event carries its id. */
export interface TenantRecord {
  tenantId: string;
  name: string;
  tier: TenantTier;
  limits: Record<string, number>;
  dataRegion?: string;
  /** Retention policy in seconds; absent keeps forever. */
  retention?: { completedRunsSeconds?: number; snapshotsSeconds?: number };
  createdAt: string;
  /** When set, the tenant's keys are refused (HTTP and live graphql-ws sessions). */
  suspendedAt?: string;
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
