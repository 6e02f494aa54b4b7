/** Runs and steps as a store keeps them: statuses, run headers, step states, events. */
import type { RunTrace } from '../telemetry/run-trace.js';

/** Lifecycle of a run (ARCHITECTURE section 3). */
export type RunStatus =
  | 'pending'
  | 'running'
  | 'waiting_human'
  | 'waiting_action'
  | 'paused'
  | 'completed'
  | 'failed'
  | 'cancelled';

/** Run statuses after which nothing changes any more. */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * Run statuses of a run blocked on its steps, strongest first: a run with one step waiting
 * on a person and another on an action is `waiting_human`. A step's suspension `kind`
 * names which (`waiting_<kind>`).
 */
export const WAITING_RUN_STATUSES: readonly RunStatus[] = ['waiting_human', 'waiting_action'];

/** Lifecycle of one step inside a run. */
export type StepStatus =
  | 'pending'
  | 'running'
  | 'waiting'
  | 'retry_wait'
  | 'completed'
  | 'failed'
  | 'skipped'
  | 'cancelled';

/** A serialisable error as it is kept on a step or a run. */
export interface ErrorInfo {
  code: string;
  message: string;
  retryable?: boolean;
  details?: unknown;
}

/** The header row of a run. Step states live in their own records. */
export interface RunRecord {
  runId: string;
  tenantId: string;
  segmentId: string;
  segmentVersion: string;
  status: RunStatus;
  input: unknown;
  /** Outputs of the steps with no outgoing edge, keyed by step id (set on completion). */
  outputs?: Record<string, unknown>;
  error?: ErrorInfo;
  /** Optimistic-concurrency version; the creating commit writes version 1. */
  version: number;
  /** Highest event `seq` of this run (0 before the first event). */
  lastSeq: number;
  idempotencyKey?: string;
  /** Snapshot this run was forked from, if any. */
  forkedFrom?: string;
  /** The step that started this run as a child (`ctx.children.start`), if any. */
  parent?: ParentLink;
  /** Status to return to on resume (set while paused). */
  pausedFrom?: RunStatus;
  /** Number of step completions, used for "snapshot every N steps". */
  stepsCompleted: number;
  /** The run's timeout and default retries (segment `timeout` / `max_retries`, or `startRun`'s). */
  limits?: RunLimits;
  /**
   * The trace the run belongs to (set at creation): its spans, and the steps after a
   * restart, join it. Absent on runs created before tracing; they get a derived one.
   */
  trace?: RunTrace;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
}

/** A run's own limits: its timeout (a durable deadline timer) and default retries of its steps. */
export interface RunLimits {
  /** How long the run may take from its start, waits and pauses included, in ms. */
  timeoutMs?: number;
  /** Retries after the first attempt for steps that set no `retry` of their own. */
  maxRetries?: number;
  /** When the run times out (ISO 8601): its start (or restore, or fork) plus `timeoutMs`. */
  deadline?: string;
  /** The deadline's timer, removed when the run ends. */
  timerId?: string;
}

/** Where a child run belongs: the run and step that started it. */
export interface ParentLink {
  runId: string;
  stepId: string;
  /** Nesting depth: 1 for a child of a top-level run. */
  depth: number;
}

/** Durable suspension of a step, written by `ctx.suspend`. */
export interface Suspension {
  /** What the step waits for: decides `waiting_human` or `waiting_action` on the run. */
  kind: 'human' | 'action';
  payload: unknown;
  /** Resume data handed to the handler on its next calls. */
  resume?: unknown;
  /**
   * True from the moment resume data arrives until the step restarts with it: that restart
   * continues the same attempt. A later retry of a resumed step is a new attempt.
   */
  pending?: boolean;
  /** Number of times the step has been resumed so far. */
  resumes: number;
  /**
   * Child runs the step waits on (`SuspendOptions.children`): the engine cancels, pauses
   * and resumes them with the step's run and lists what they wait on in `waitingOn`.
   */
  children?: string[];
}

/** State of one step of a run. */
export interface StepStateRecord {
  tenantId: string;
  runId: string;
  stepId: string;
  status: StepStatus;
  /** Attempts started so far, across retries and revisions; keys are `runId:stepId:attempt`. */
  attempt: number;
  /** Attempts within the current iteration (what `retry.max_attempts` counts). */
  iterationAttempts: number;
  /** How many times a revision loop sent this step back (0 on the first pass). */
  iteration: number;
  /** Values received on input ports, keyed by port id. */
  inputs?: Record<string, unknown>;
  /** Values emitted on output ports, keyed by port id. A missing port is an untaken branch. */
  outputs?: Record<string, unknown>;
  error?: ErrorInfo;
  suspension?: Suspension;
  /** State the handler saved with `ctx.checkpoint` in this iteration. */
  checkpoint?: unknown;
  /**
   * Identity of the handler execution that may report this attempt's outcome. A new one is
   * written each time the step is (re)started, so a late result from a worker that lost
   * the run is refused even though the attempt number is the same.
   */
  execution?: string;
  startedAt?: string;
  finishedAt?: string;
}

/** A worktrail event as stored (ARCHITECTURE section 4). */
export interface WorktrailEvent {
  event_id: string;
  tenant_id: string;
  run_id: string;
  /** Gapless per run, starting at 1. */
  seq: number;
  type: string;
  step_id?: string;
  timestamp: string;
  data: Record<string, unknown>;
}
