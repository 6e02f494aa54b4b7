/** The shapes of a process-mining event log as {@link readProcessLog} reads it from a store. */
import type { StepCatalog } from '../catalog/step-catalog.js';
import type { StepDefinition } from '../segment/types.js';
import type { RunRecord } from '../store/types.js';

/** Lifecycle transitions of the XES standard lifecycle model that runs produce. */
export type LifecycleTransition =
  | 'start'
  | 'suspend'
  | 'resume'
  | 'complete'
  | 'ate_abort'
  | 'pi_abort'
  | 'autoskip';

/** What kind of resource acted. */
export type ResourceRole = 'agent' | 'service' | 'person' | 'system';

/** A scalar attribute value that may be exported. */
export type ProcessAttribute = string | number | boolean;

/** One interpreted event of a run. */
export interface ProcessEvent {
  /** The worktrail event's id; derived events (run aborts of open steps) add a suffix. */
  eventId: string;
  runId: string;
  seq: number;
  /** Worktrail event type (`step.completed`, `interaction.responded`, ...). */
  type: string;
  timestamp: string;
  stepId?: string;
  stepType?: string;
  /** Activity name: the step id, or `run` for run-level events. */
  activity: string;
  /** Set for events that move an activity instance through its lifecycle. */
  lifecycle?: LifecycleTransition;
  /** Activity instance: `stepId#attempt`. */
  instance?: string;
  /** Who acted: a person's subject, an agent's `provider/model`, a service, or `llmteam`. */
  resource: string;
  role: ResourceRole;
  /** Group a human step is assigned to, when there is one. */
  group?: string;
  interactionId?: string;
  /** Action or tool call this event belongs to (`runId/stepId/callId`). */
  actionCall?: string;
  /** Action or tool name of `actionCall`. */
  actionName?: string;
  /** Engine-defined attributes only (see the module comment). */
  attributes: Record<string, ProcessAttribute>;
}

/** A run and its interpreted events, read lazily page by page. */
export interface ProcessTrace {
  run: RunRecord;
  /** Step definitions of the run's segment version, by step id. */
  steps: ReadonlyMap<string, StepDefinition>;
  /** Must be consumed before the next trace is requested. */
  events: AsyncIterable<ProcessEvent>;
}

/** Which runs to read. */
export interface ProcessLogQuery {
  segmentId: string;
  /** @default "default" */
  tenantId?: string;
  /** Only runs created at or after this time (ISO 8601). */
  from?: string;
  /** Only runs created at or before this time (ISO 8601). */
  to?: string;
  /** Runs and events read per store call. @default 500 */
  pageSize?: number;
  /** Resolves step categories (agent, service, person) of plugin step types. @default the built-in catalog */
  catalog?: StepCatalog;
}

/** Default of {@link ProcessLogQuery.pageSize}. */
export const DEFAULT_PROCESS_LOG_PAGE_SIZE = 500;

/** The resource name of the engine itself. */
export const SYSTEM_RESOURCE = 'llmteam';
