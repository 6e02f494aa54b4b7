/** Service tiers: default limits and feature flags per tier. */
import type { TenantTier } from '../store/registry-records.js';

/** Tiers, lowest first. */
export const TENANT_TIERS = [
  'free',
  'starter',
  'professional',
  'enterprise',
] as const satisfies readonly TenantTier[];

/**
 * Names of the limits a tier sets and a tenant may override:
 * - `concurrent_runs`: runs of the tenant that are not ended and not waiting on a person
 *   (`pending`, `running`, `waiting_action`, `paused`), checked at `startRun`.
 * - `runs_per_day`: runs created since 00:00 UTC, checked at `startRun`.
 * - `segments`: distinct segment ids, checked when a new one is upserted.
 * - `waiting_interactions`: open requests for a person; a run is refused at start while the
 *   tenant is at the limit (a run already going is never failed half-way for it).
 * - `action_calls_per_minute`: action calls (named actions called by steps and agent tools)
 *   within the last minute (engine clock); a call beyond it is refused before it is sent.
 * - `llm_tokens_per_month`: input plus output tokens of model calls per calendar month
 *   (UTC, engine clock); the next model call is refused once reached, never one in flight.
 * - `snapshot_retention_days`: snapshots older than this are swept (checkpoints are kept).
 * - `api_keys`: keys that are not revoked, checked at key creation.
 */
export const LIMIT_NAMES = [
  'concurrent_runs',
  'runs_per_day',
  'segments',
  'waiting_interactions',
  'action_calls_per_minute',
  'llm_tokens_per_month',
  'snapshot_retention_days',
  'api_keys',
] as const;

/** A limit's name. */
export type LimitName = (typeof LIMIT_NAMES)[number];

/** Limits by name; a missing name (or `Infinity`) is unlimited. */
export type TenantLimits = Partial<Record<LimitName, number>>;

/** Feature flags a tier turns on. */
export const FEATURE_NAMES = [
  'llm_agents',
  'human_tasks',
  'actions',
  'sealed_fields',
  'audit_checkpoints',
  'process_export',
  'data_region',
] as const;

/** A feature flag's name. */
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** The defaults of one tier. */
export interface TierDefaults {
  limits: TenantLimits;
  features: readonly FeatureName[];
}

/** Default limits and feature flags of each tier (documented in the core README). */
export const TIER_DEFAULTS: Readonly<Record<TenantTier, TierDefaults>> = {
  free: {
    limits: {
      concurrent_runs: 2,
      runs_per_day: 100,
      segments: 5,
      waiting_interactions: 20,
      action_calls_per_minute: 60,
      llm_tokens_per_month: 100_000,
      snapshot_retention_days: 7,
      api_keys: 2,
    },
    features: ['llm_agents', 'human_tasks'],
  },
  starter: {
    limits: {
      concurrent_runs: 10,
      runs_per_day: 2_000,
      segments: 25,
      waiting_interactions: 200,
      action_calls_per_minute: 600,
      llm_tokens_per_month: 2_000_000,
      snapshot_retention_days: 30,
      api_keys: 10,
    },
    features: ['llm_agents', 'human_tasks', 'actions', 'sealed_fields'],
  },
  professional: {
    limits: {
      concurrent_runs: 100,
      runs_per_day: 50_000,
      segments: 250,
      waiting_interactions: 5_000,
      action_calls_per_minute: 6_000,
      llm_tokens_per_month: 50_000_000,
      snapshot_retention_days: 90,
      api_keys: 100,
    },
    features: [
      'llm_agents',
      'human_tasks',
      'actions',
      'sealed_fields',
      'audit_checkpoints',
      'process_export',
    ],
  },
  enterprise: { limits: {}, features: FEATURE_NAMES },
};

/** True for a known tier name. */
export function isTenantTier(value: unknown): value is TenantTier {
  return typeof value === 'string' && (TENANT_TIERS as readonly string[]).includes(value);
}

/** A stored tier as a current one: the former `standard` reads as `starter`. */
export function normalizeTier(value: string): TenantTier {
  if (value === 'standard') return 'starter';
  return isTenantTier(value) ? value : 'free';
}
