/** Shapes the gateway returns (ARCHITECTURE section 8). Enum values are upper-case. */

export type RunStatus =
  | 'PENDING'
  | 'RUNNING'
  | 'WAITING_HUMAN'
  | 'WAITING_ACTION'
  | 'PAUSED'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED';
export type StepStatus =
  | 'PENDING'
  | 'RUNNING'
  | 'WAITING'
  | 'RETRY_WAIT'
  | 'COMPLETED'
  | 'FAILED'
  | 'SKIPPED'
  | 'CANCELLED';
export type InteractionStatus =
  | 'PENDING'
  | 'NOTIFIED'
  | 'IN_PROGRESS'
  | 'COMPLETED'
  | 'REJECTED'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'ESCALATED';
export type InteractionType = 'APPROVAL' | 'CHOICE' | 'INPUT' | 'REVIEW' | 'TASK' | 'CHAT';
export type InteractionPriority = 'LOW' | 'NORMAL' | 'HIGH' | 'CRITICAL';
export type Role = 'ADMIN' | 'OPERATOR' | 'APPROVER' | 'VIEWER';
export type TenantTier = 'FREE' | 'STANDARD' | 'ENTERPRISE';

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ErrorInfo {
  code: string;
  message: string;
  retryable: boolean | null;
  details: Json | null;
}

export interface StepState {
  stepId: string;
  status: StepStatus;
  attempt: number;
  iteration: number;
  outputs: Record<string, Json> | null;
  error: ErrorInfo | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface WorktrailEvent {
  id: string;
  runId: string;
  seq: number;
  /** Dotted type, e.g. `run.completed`. */
  type: string;
  stepId: string | null;
  timestamp: string;
  data: Record<string, Json>;
}

export interface InteractionResponse {
  action: string;
  subject: string;
  value: Json | null;
  comment: string | null;
  at: string;
}

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
  responses: InteractionResponse[];
  outcome: InteractionResponse | null;
  deadline: string | null;
  slaWarningAt: string | null;
  slaBreachAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Timer {
  id: string;
  kind: string;
  stepId: string | null;
  dueAt: string;
}

export interface Snapshot {
  id: string;
  runId: string;
  seq: number;
  reason: string;
  checksum: string;
  createdAt: string;
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

export interface RunConnection {
  edges: Array<{ node: RunSummary; cursor: string }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface Segment {
  id: string;
  version: string;
  name: string;
  definition: Json;
  createdAt: string;
}

export interface CreatedApiKey {
  id: string;
  /** Shown once; store it now. */
  secret: string;
  tenantId: string;
  roles: Role[];
  subject: string;
  groups: string[];
}

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

export type StepCategory = 'AI' | 'CONTROL' | 'HUMAN' | 'INTEGRATION' | 'UTILITY';

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
