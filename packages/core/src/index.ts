export { actionConfigSchema } from './actions/action-config-schema.js';
export {
  type ActionCoordination,
  type ActionLimiterSpec,
  type ActionRateLimiter,
  memoryCoordination,
} from './actions/action-policies.js';
export {
  type ActionError,
  ActionRegistry,
  type ActionRegistryOptions,
  DEFAULT_ACTION_TIMEOUT_MS,
} from './actions/action-registry.js';
export {
  createHttpActionType,
  DEFAULT_MAX_RESPONSE_BYTES,
  type HttpActionTypeOptions,
  httpActionConfigSchema,
} from './actions/http-action-type.js';
export { blockedReason, OutboundGuard, type OutboundGuardOptions } from './actions/outbound-guard.js';
export { type ActionCommitRecords, actionCommitRecords, type StepActions } from './actions/step-actions.js';
export * from './actions/types.js';
export { type DurationStats, durationStats } from './analytics/duration-stats.js';
export {
  type HumanStepWaiting,
  PROCESS_END,
  PROCESS_START,
  type ProcessMap,
  type ProcessMapEdge,
  type ProcessMapNode,
  type ProcessMetrics,
  processMap,
  processMetrics,
  type ReworkLoops,
  type SlaBreaches,
} from './analytics/process-analytics.js';
export {
  ASSIGNMENT_STRATEGIES,
  type AssignmentStrategy,
  chooseMember,
  type Standing,
  withSkills,
} from './assignment/choose-member.js';
export * from './audit/audit-anchors.js';
export * from './audit/audit-log.js';
export * from './audit/audit-pages.js';
export * from './audit/checkpoint.js';
export * from './audit/checkpoint-store.js';
export * from './audit/hash-chain.js';
export * from './audit/merkle-tree.js';
export { StepCatalog } from './catalog/step-catalog.js';
export * from './catalog/step-hooks.js';
export * from './catalog/types.js';
export { complianceReportCsv } from './compliance/compliance-csv.js';
export * from './compliance/compliance-formats.js';
export * from './compliance/compliance-report.js';
export { coreErrors } from './core-errors.js';
export { createEngine } from './create-engine.js';
export * from './define-errors.js';
export {
  type DirectoryMember,
  type DirectorySubject,
  type SubjectDirectory,
  staticDirectory,
} from './directory/subject-directory.js';
export type { TimerHandler } from './engine/engine.js';
export type { SealingOptions } from './engine/engine-sealing.js';
export type { InvokeOptions, InvokeResult } from './engine/invoke.js';
export {
  isLiveProgress,
  LiveProgress,
  type LiveProgressOptions,
  PROGRESS_COALESCE_MS,
  type ProgressUpdate,
} from './engine/live-progress.js';
export { buildSnapshot, snapshotChecksum, verifySnapshot } from './engine/snapshot.js';
export type { StepSlotsView, TenantSlotUsage } from './engine/step-slots.js';
export * from './engine/tenant-engine.js';
export * from './engine/types.js';
export type { UnsealOptions, UnsealResult } from './engine/unseal.js';
export * from './errors.js';
export {
  exportOcel,
  OCEL_OBJECT_TYPES,
  type OcelAttributeType,
  type OcelExportOptions,
  ocelEventType,
} from './export/ocel-writer.js';
export {
  checkProcessLogQuery,
  DEFAULT_PROCESS_LOG_PAGE_SIZE,
  type LifecycleTransition,
  listProcessRuns,
  type ProcessAttribute,
  type ProcessEvent,
  type ProcessLogQuery,
  type ProcessTrace,
  type ResourceRole,
  RunInterpreter,
  type RunRef,
  readProcessLog,
  readRunEvents,
  SYSTEM_RESOURCE,
  usageOf,
} from './export/process-log.js';
export {
  DEFAULT_EXPORT_CHUNK_SIZE,
  escapeXml,
  exportXes,
  writeXes,
  type XesExportOptions,
  xesEvent,
} from './export/xes-writer.js';
export { mayAnswer, parseAssignees } from './human/assignees.js';
export type { AssignmentOptions, AssignmentRecord } from './human/assignment.js';
export type { OpenRequestsPayload } from './human/interaction-desk.js';
export {
  APPROVAL_SEGMENT_ID,
  type ApprovalDecision,
  type ApprovalTask,
  type ApprovalTaskState,
  type RequiresApprovalOptions,
  requiresApproval,
} from './human/requires-approval.js';
export type { DraftRequest, HumanOutcome, HumanRequestOptions } from './human/types.js';
export { type WaitForResponseOptions, waitForResponse } from './human/wait-for-response.js';
export * from './lifecycle/retention-schedule.js';
export { isTerminalRun, moveRun, RUN_TRANSITIONS, STEP_TRANSITIONS } from './lifecycle/run-state.js';
export type { AgentMemoryRead, AgentMemoryWrite, LlmAgentMemoryConfig } from './llm/agent-memory-wiring.js';
export type {
  AgentApprovalResume,
  AgentApprovalSuspension,
  AgentState,
  StoredAgentState,
  ToolApprovalDecision,
} from './llm/agent-state.js';
export type {
  AgentDelegationSuspension,
  AgentToolCall,
  AgentToolKind,
  AgentToolProgress,
  AgentToolRecords,
  ResolvedAgentTool,
} from './llm/agent-tool-kinds.js';
export { ConversationLog, type ConversationNode } from './llm/conversation-log.js';
export {
  LLM_AGENT_DEFAULTS,
  type LlmAgentConfig,
  type LlmAgentTool,
  llmAgentConfigSchema,
} from './llm/llm-agent-config.js';
export * from './llm/llm-error.js';
export {
  type ModelPrice,
  periodStart,
  runTokenUsage,
  sumTokenUsage,
  type TenantTokenBudget,
  type TokenAccountingOptions,
  type TokenTotals,
  tenantTokenUsage,
} from './llm/token-usage.js';
export {
  type ApprovalPolicy,
  type LlmAgentToolApproval,
  TOOL_APPROVAL_TIMER,
} from './llm/tool-approvals.js';
export * from './llm/types.js';
export {
  AGENT_MEMORY_DEFAULTS,
  AgentMemory,
  type AgentMemoryOptions,
  type AgentMemoryScope,
  type MemorySetOptions,
  type MemoryStats,
  type MemoryUpdateOptions,
} from './memory/agent-memory.js';
export { InMemoryAgentMemory } from './memory/in-memory-agent-memory.js';
export type { AgentMemoryStore, MemoryEntry } from './memory/memory-types.js';
export * from './notify/response-token.js';
export * from './notify/types.js';
export { AgentPool, type PoolChoice, type PoolMember, type PoolState } from './orchestration/agent-pool.js';
export {
  type HandoffInput,
  type HandoffToolEntry,
  handoffToolKind,
} from './orchestration/handoff-tool-kind.js';
export { createPoolToolKind, type PoolToolEntry } from './orchestration/pool-tool-kind.js';
export { type SegmentToolEntry, segmentToolKind } from './orchestration/segment-tool-kind.js';
export { definePlugin, isPlugin } from './plugins/define-plugin.js';
export * from './plugins/http-route.js';
export {
  type LoadPluginsOptions,
  loadPlugins,
  type PluginSpec,
  resolvePluginModule,
} from './plugins/loader.js';
export {
  type TenantRegistrar,
  type TenantResourceOptions,
  TenantResources,
  tenantSecrets,
} from './plugins/tenant-resources.js';
export * from './plugins/types.js';
export { CORE_VERSION, checkApiVersion, PLUGIN_API_VERSION } from './plugins/version.js';
export {
  DEVELOPMENT_KEY_ID,
  developmentKeyProvider,
  type KeyProvider,
  type KeyScope,
  parseSealingKeys,
  type StaticKeyProviderOptions,
  staticKeyProvider,
  type WrappedKey,
} from './sealing/key-provider.js';
export { redactPaths, SEALED_PLACEHOLDER, sealedPathSegments } from './sealing/redact-paths.js';
export {
  collectSealed,
  isSealedValue,
  mapSealed,
  redactSealed,
  SENSITIVITY_LEVELS,
  type SealedValue,
  type Sensitivity,
  scrubDeep,
  scrubText,
} from './sealing/sealed-value.js';
export { Sealer, type SealLabel, sealedPointer } from './sealing/sealer.js';
export { SealingPlan } from './sealing/sealing-plan.js';
export { type FileSecretsOptions, fileSecrets } from './secrets/file-secrets.js';
export { missingSecretError } from './secrets/missing-secret.js';
export { redactingLogger } from './secrets/redacting-logger.js';
export {
  MIN_SECRET_LENGTH,
  SECRET_PLACEHOLDER,
  SecretRedactor,
  secretForms,
} from './secrets/secret-redactor.js';
export { providersOf, SecretsChain } from './secrets/secrets-chain.js';
export * from './segment/types.js';
export { segmentJsonSchema, type ValidationResult, validateSegment } from './segment/validate.js';
export { type CheckedCommit, checkCommit, checkCommitScope } from './store/check-commit.js';
export { type ComposeStoreOptions, composeStore } from './store/compose-store.js';
export * from './store/event-query.js';
export { MemoryStore } from './store/memory-store.js';
export { OrderedDelivery } from './store/ordered-delivery.js';
export { draftRegistryAudit, type RegistryWrite } from './store/registry-audit.js';
export { readRunState } from './store/run-state.js';
export {
  checkSnapshotQuery,
  DEFAULT_SNAPSHOT_PAGE_SIZE,
  encodeSnapshotCursor,
  type SnapshotCursor,
  snapshotNewerThan,
  snapshotSegmentId,
} from './store/snapshot-query.js';
export * from './store/types.js';
export {
  DurableIdGenerator,
  PLANNED_SPAN_IDS,
  type PlannedSpanIds,
  withPlannedIds,
} from './telemetry/durable-id-generator.js';
export type { TelemetryOptions } from './telemetry/engine-telemetry.js';
export {
  formatTraceparent,
  parseTraceparent,
  type RunTrace,
  runTraceOf,
  stepSpanId,
  type TraceParent,
} from './telemetry/trace-context.js';
export {
  ACTION_CALL_WINDOW_MS,
  ActionCallMeter,
  type CountedActionCall,
  storedActionCalls,
} from './tenancy/action-call-limit.js';
export { checkAdmissions, runAdmissions } from './tenancy/admission.js';
export {
  type Licence,
  LicenceError,
  type LicenceErrorDetails,
  type LicenceProblem,
  type LicenceTerms,
  licenceKeyId,
  licenceMessage,
  licenceTerms,
  signLicence,
  type VerifyLicenceOptions,
  verifyLicence,
} from './tenancy/licence.js';
export { checkApiKeyLimit, checkSegmentLimit } from './tenancy/registry-limits.js';
export {
  admissionRefusal,
  capTier,
  checkFeatureOverrides,
  checkLimitOverrides,
  type DeploymentTerms,
  type EffectiveTenancy,
  effectiveTenancy,
  LimitExceededError,
  type LimitExceededOptions,
  type LimitRefusal,
} from './tenancy/tenant-limits.js';
export {
  type CreateTenantInput,
  type TenancyOptions,
  type TenantChangeScope,
  TenantManager,
  type TenantManagerHost,
  type UpdateTenantInput,
} from './tenancy/tenant-manager.js';
export {
  CONCURRENT_RUN_STATUSES,
  countRuns,
  dayStart,
  monthStart,
  type TenantUsage,
  tenantUsage,
} from './tenancy/tenant-usage.js';
export {
  FEATURE_NAMES,
  type FeatureName,
  isTenantTier,
  LIMIT_NAMES,
  type LimitName,
  normalizeTier,
  TENANT_TIERS,
  type TenantLimits,
  TIER_DEFAULTS,
  type TierDefaults,
} from './tenancy/tiers.js';
export { canonicalJson, sha256 } from './util/canonical-json.js';
export { type Clock, ManualClock, systemClock } from './util/clock.js';
export { isDuration, parseDuration } from './util/duration.js';
export { createUlidGenerator, type IdGenerator } from './util/ids.js';
export * from './worktrail/audit-actions.js';
export * from './worktrail/event-types.js';
