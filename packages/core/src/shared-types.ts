/**
 * `@llmteam/core/types`: the contracts a client shares with the server, importable without
 * pulling in the engine (or Node's types): the worktrail event and audit registries, the
 * status enums, and the pure redaction of sealed paths (`redactPaths`), so a browser hides
 * exactly what the engine hides. `@llmteam/client` imports its types from here.
 */
export type { DurationStats } from './analytics/duration-stats.js';
export type { ProcessMap, ProcessMapEdge, ProcessMapNode } from './analytics/process-map-types.js';
export type { StepCategory } from './catalog/step-category.js';
export { redactPaths, SEALED_PLACEHOLDER, sealedPathSegments } from './sealing/redact-paths.js';
export type {
  ErrorInfo,
  InteractionPriority,
  InteractionStatus,
  InteractionType,
  Role,
  RunStatus,
  SnapshotReason,
  StepStatus,
  TenantTier,
  WorktrailEvent,
} from './store/types.js';
export type {
  ApiKeyAudit,
  AuditAction,
  AuditActionData,
  AuditActionMap,
  InteractionAnswerAction,
  InteractionAnswerAudit,
  StepAuditEntry,
  TypedAuditDraft,
} from './worktrail/audit-actions.js';
export type {
  ActionCallData,
  EventError,
  NotificationReason,
  NotificationResultData,
  ToolCallData,
  TypedWorktrailEvent,
  WorktrailEventData,
  WorktrailEventDraft,
  WorktrailEventMap,
  WorktrailEventType,
} from './worktrail/event-types.js';
