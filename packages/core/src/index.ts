export * from './errors.js';
export * from './store/types.js';
export { MemoryStore } from './store/memory-store.js';
export * from './audit/hash-chain.js';
export * from './notify/types.js';
export * from './plugins/types.js';
export { definePlugin, isPlugin } from './plugins/define-plugin.js';
export { loadPlugins, type PluginSpec, type LoadPluginsOptions } from './plugins/loader.js';
export { CORE_VERSION, PLUGIN_API_VERSION, checkApiVersion } from './plugins/version.js';
export * from './catalog/types.js';
export { StepCatalog } from './catalog/step-catalog.js';
export * from './segment/types.js';
export { validateSegment, segmentJsonSchema, type ValidationResult } from './segment/validate.js';
export * from './engine/types.js';
export { createEngine, type TimerHandler } from './engine/engine.js';
export { buildSnapshot, verifySnapshot, snapshotChecksum } from './engine/snapshot.js';
export type { HumanOutcome, HumanRequestOptions } from './human/types.js';
export { parseAssignees } from './human/assignees.js';
export { canonicalJson, sha256 } from './util/canonical-json.js';
export { parseDuration, isDuration } from './util/duration.js';
export { type Clock, systemClock, ManualClock } from './util/clock.js';
export { type IdGenerator, createUlidGenerator } from './util/ids.js';
export * from './notify/response-token.js';
export { waitForResponse, type WaitForResponseOptions } from './human/wait-for-response.js';
export {
  requiresApproval,
  APPROVAL_SEGMENT_ID,
  type ApprovalTask,
  type ApprovalTaskState,
  type ApprovalDecision,
  type RequiresApprovalOptions,
} from './human/requires-approval.js';
