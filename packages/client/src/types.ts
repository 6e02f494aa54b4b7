/**
 * Shapes the gateway returns (ARCHITECTURE section 8). Enum values are upper-case. Enums
 * and event types come from `@llmteam/core` (type-only imports: nothing of core is bundled),
 * so the client cannot drift from the server.
 */
import type {
  DurationStats as CoreDurationStats,
  InteractionPriority as CoreInteractionPriority,
  InteractionStatus as CoreInteractionStatus,
  InteractionType as CoreInteractionType,
  ProcessMap as CoreProcessMap,
  ProcessMapEdge as CoreProcessMapEdge,
  ProcessMapNode as CoreProcessMapNode,
  Role as CoreRole,
  RunStatus as CoreRunStatus,
  StepStatus as CoreStepStatus,
  TenantTier as CoreTenantTier,
  StepCategory,
  WorktrailEventMap,
  WorktrailEventType,
} from '@llmteam/core/types';

export type {
  StepCategory,
  WorktrailEventData,
  WorktrailEventMap,
  WorktrailEventType,
} from '@llmteam/core/types';

/** Run statuses (core's `RunStatus`, upper-case as GraphQL sends them). */
export type RunStatus = Uppercase<CoreRunStatus>;
/** Step statuses (core's `StepStatus`, upper-case). */
export type StepStatus = Uppercase<CoreStepStatus>;
/** Interaction statuses (core's `InteractionStatus`, upper-case). */
export type InteractionStatus = Uppercase<CoreInteractionStatus>;
/** Interaction types (core's `InteractionType`, upper-case). */
export type InteractionType = Uppercase<CoreInteractionType>;
/** Interaction priorities (core's `InteractionPriority`, upper-case). */
export type InteractionPriority = Uppercase<CoreInteractionPriority>;
/** API key roles (core's `Role`, upper-case). */
export type Role = Uppercase<CoreRole>;
/** Tenant tiers (core's `TenantTier`, upper-case). */
export type TenantTier = Uppercase<CoreTenantTier>;

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An error as the gateway reports it on a run or a step. */
export interface ErrorInfo {
  code: string;
  message: string;
  retryable: boolean | null;
  details: Json | null;
}

/** Token usage of model calls; `cost` is estimated from the gateway's price table (null when unpriced). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  calls: number;
  cost: number | null;
}

/** A step's state within a run: status, attempt, outputs and error. */
export interface StepState {
  stepId: string;
  /** The step's model calls (on `Run.steps` only; null when it made none). */
  usage?: TokenUsage | null;
  status: StepStatus;
  attempt: number;
  iteration: number;
  outputs: Record<string, Json> | null;
  error: ErrorInfo | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/**
 * A worktrail event as the gateway sends it. `WorktrailEvent<'step.completed'>` types
 * `data` by core's event registry; plain `WorktrailEvent` is any event (also a plugin's).
 * Narrow with {@link isWorktrailEventOf} or switch over a {@link TypedWorktrailEvent}.
 */
export interface WorktrailEvent<K extends string = string> {
  id: string;
  runId: string;
  seq: number;
  /** Dotted type, e.g. `run.completed` (see `WorktrailEventType`). */
  type: K;
  stepId: string | null;
  timestamp: string;
  data: K extends WorktrailEventType ? WorktrailEventMap[K] : Record<string, Json>;
}

/** A union of typed events, one member per registered type in `K`: `switch (e.type)` narrows `data`. */
export type TypedWorktrailEvent<K extends WorktrailEventType = WorktrailEventType> = {
  [P in K]: WorktrailEvent<P>;
}[K];

/** One answer given to an interaction, with who gave it and when. */
export interface InteractionResponse {
  action: string;
  subject: string;
  value: Json | null;
  comment: string | null;
  at: string;
}

/** One round of requested changes: the revision sent back, the words and who asked. */
export interface FeedbackRound {
  /** The revision that was sent back (0: the first pass). */
  revision: number;
  feedback: string;
  by: string;
  at: string;
}

/** A request for a person (approval, choice, input, review, task, chat) as the gateway returns it. */
export interface Interaction {
  id: string;
  runId: string;
  stepId: string;
  type: InteractionType;
  status: InteractionStatus;
  priority: InteractionPriority;
  title: string;
  description: string | null;
  /** What the person decides on, with sealed values removed. */
  context: Json | null;
  assignees: { users: string[]; groups: string[] };
  options: Json | null;
  inputSchema: Json | null;
  /** 0 for the original assignees, 1.. after each escalation. */
  escalationLevel: number;
  revision: number;
  previousFeedback: string | null;
  /** Every round of requested changes, oldest first (empty before the first). */
  feedbackHistory: FeedbackRound[];
  responses: InteractionResponse[];
  outcome: InteractionResponse | null;
  deadline: string | null;
  slaWarningAt: string | null;
  slaBreachAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A page of open requests in SLA order (`inbox`). */
export interface InboxPage {
  items: Interaction[];
  /** Pass as `after` for the next page; null on an empty page. */
  endCursor: string | null;
  hasMore: boolean;
}

/** A durable timer a run is waiting on. */
export interface Timer {
  id: string;
  kind: string;
  stepId: string | null;
  dueAt: string;
}

/** An immutable, checksummed snapshot of a run. */
export interface Snapshot {
  id: string;
  runId: string;
  /** The run's segment (null only for snapshots stored before it was kept). */
  segmentId: string | null;
  seq: number;
  /** `MANUAL`, `CHECKPOINT`, `AUTO`, `PAUSE`, `ERROR` or `FORK`. */
  reason: string;
  /** The name its taker gave it. */
  label: string | null;
  checksum: string;
  createdAt: string;
}

/** A page of snapshots, newest first. */
export interface SnapshotPage {
  snapshots: Snapshot[];
  /** Pass as `after` for the next page; null on the last page. */
  endCursor: string | null;
  hasNextPage: boolean;
}

/** A run as `startRun`, `cancelRun`, ... return it. */
export interface RunSummary {
  id: string;
  segmentId: string;
  segmentVersion: string;
  status: RunStatus;
  input: Json | null;
  outputs: Record<string, Json> | null;
  error: ErrorInfo | null;
  lastSeq: number;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

/** A run as `run(id)` returns it, with its steps, interactions, snapshots and what it waits on. */
export interface Run extends RunSummary {
  /** Token usage of the run's model calls. */
  usage: TokenUsage;
  steps: StepState[];
  interactions: Interaction[];
  snapshots: Snapshot[];
  /** Open requests (the run's and its child runs'), timers, suspended steps, unfinished child runs. */
  waitingOn: {
    interactions: Interaction[];
    timers: Timer[];
    actions: StepState[];
    children: Array<{ stepId: string; runId: string; segmentId: string; status: RunStatus }>;
  };
}

/** A page of runs (`runs(...)`), with its cursor. */
export interface RunConnection {
  edges: Array<{ node: RunSummary; cursor: string }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A stored segment version. */
export interface Segment {
  id: string;
  version: string;
  name: string;
  definition: Json;
  createdAt: string;
}

/** Percentiles of a set of durations, in ms. */
export type DurationStats = CoreDurationStats;

/** An activity of a process map: a step, or `__start__` / `__end__` (`stepType` null). */
export type ProcessMapNode = Omit<CoreProcessMapNode, 'stepType'> & { stepType: string | null };

/** `target` started next after `source` in a run, `count` times. */
export type ProcessMapEdge = CoreProcessMapEdge;

/** The directly-follows map of a segment's runs (`processMap`); edges most frequent first. */
export type ProcessMap = Omit<CoreProcessMap, 'nodes'> & { nodes: ProcessMapNode[] };

/** A key as `createApiKey` returns it: the only time its secret is shown. */
export interface CreatedApiKey {
  id: string;
  /** Shown once; store it now. */
  secret: string;
  tenantId: string;
  roles: Role[];
  subject: string;
  groups: string[];
}

/** What `health` reports: status, version, store and uptime. */
export interface Health {
  status: string;
  version: string;
  store: string;
  uptimeSeconds: number;
}

/** The caller, as its API key describes it. */
export interface Viewer {
  subject: string;
  tenantId: string;
  roles: Role[];
  groups: string[];
}

/** An input or output port of a step type. */
export interface Port {
  portId: string;
  dataType: string | null;
  description: string | null;
}

/** An entry of the step catalog (built-in or from a plugin). */
export interface StepType {
  type: string;
  displayName: string;
  category: StepCategory;
  description: string | null;
  /** JSON Schema of the step's `config`. */
  configSchema: Json;
  /** Ports are declared by each step rather than fixed by the type. */
  dynamicPorts: boolean;
  inputs: Port[];
  outputs: Port[];
}
