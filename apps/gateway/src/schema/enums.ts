import { FEATURE_NAMES, LIMIT_NAMES } from '@llmteam/core';
import { registerEnumType } from 'type-graphql';

// GraphQL enum names are the upper-case forms; the values resolvers see are the store's.
function upperEnum<const T extends readonly string[]>(values: T): { [K in T[number] as Uppercase<K>]: K } {
  return Object.fromEntries(values.map((v) => [v.toUpperCase(), v])) as {
    [K in T[number] as Uppercase<K>]: K;
  };
}

/** Run statuses (ARCHITECTURE section 3). */
export const RunStatusEnum = upperEnum([
  'pending',
  'running',
  'waiting_human',
  'waiting_action',
  'paused',
  'completed',
  'failed',
  'cancelled',
] as const);
/** Step statuses. */
export const StepStatusEnum = upperEnum([
  'pending',
  'running',
  'waiting',
  'retry_wait',
  'completed',
  'failed',
  'skipped',
  'cancelled',
] as const);
/** Interaction statuses (ARCHITECTURE section 5). */
export const InteractionStatusEnum = upperEnum([
  'pending',
  'notified',
  'in_progress',
  'completed',
  'rejected',
  'timeout',
  'cancelled',
  'escalated',
] as const);
export const InteractionTypeEnum = upperEnum([
  'approval',
  'choice',
  'input',
  'review',
  'task',
  'chat',
] as const);
export const InteractionPriorityEnum = upperEnum(['low', 'normal', 'high', 'critical'] as const);
export const RoleEnum = upperEnum(['admin', 'operator', 'approver', 'viewer', 'unsealer'] as const);
export const TenantTierEnum = upperEnum(['free', 'starter', 'professional', 'enterprise'] as const);
/** Whether a tenant's keys work. */
export const TenantStatusEnum = upperEnum(['active', 'suspended'] as const);
/** Names of the limits a tier sets and a tenant may override (core's `LIMIT_NAMES`). */
export const TenantLimitNameEnum = upperEnum(LIMIT_NAMES);
/** Feature flags a tier turns on (core's `FEATURE_NAMES`). */
export const TenantFeatureEnum = upperEnum(FEATURE_NAMES);
export const SnapshotReasonEnum = upperEnum([
  'manual',
  'checkpoint',
  'auto',
  'pause',
  'error',
  'fork',
] as const);
/** The snapshot types a caller takes with `createSnapshot`. */
export const SnapshotTypeEnum = upperEnum(['manual', 'checkpoint'] as const);
/** Step catalog categories; their values are already upper-case. */
export const StepCategoryEnum = {
  AI: 'AI',
  INTEGRATION: 'INTEGRATION',
  HUMAN: 'HUMAN',
  CONTROL: 'CONTROL',
  UTILITY: 'UTILITY',
} as const;

// Registered once at import, like the decorated classes (type-graphql keeps one metadata storage).
registerEnumType(RunStatusEnum, { name: 'RunStatus', description: 'Lifecycle of a run' });
registerEnumType(StepStatusEnum, { name: 'StepStatus' });
registerEnumType(InteractionStatusEnum, { name: 'InteractionStatus' });
registerEnumType(InteractionTypeEnum, { name: 'InteractionType' });
registerEnumType(InteractionPriorityEnum, { name: 'InteractionPriority' });
registerEnumType(RoleEnum, { name: 'Role' });
registerEnumType(TenantTierEnum, { name: 'TenantTier' });
registerEnumType(TenantStatusEnum, {
  name: 'TenantStatus',
  description: '`SUSPENDED`: its keys are refused over HTTP and its live graphql-ws sessions closed (4403)',
});
registerEnumType(TenantLimitNameEnum, {
  name: 'TenantLimitName',
  description: 'A limit of a tier (see the core README for what each one counts)',
});
registerEnumType(TenantFeatureEnum, { name: 'TenantFeature', description: 'A feature flag of a tier' });
registerEnumType(SnapshotReasonEnum, { name: 'SnapshotReason' });
registerEnumType(SnapshotTypeEnum, {
  name: 'SnapshotType',
  description: '`CHECKPOINT`: a restore point meant to be kept (retention leaves it); `MANUAL`: any other',
});
registerEnumType(StepCategoryEnum, { name: 'StepCategory' });
