/**
 * The hooks a step type uses to wait, own timers, loop back and clean up. Every power a
 * built-in step type has comes from here: `human_task` is written against these hooks
 * like any plugin step type, and the engine names no step type.
 */
import type { StepDefinition } from '../segment/types.js';
import type { InteractionRecord, RunStatus, StepStateRecord, TimerRecord } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { AuditAction, StepAuditEntry } from '../worktrail/audit-actions.js';
import type { WorktrailEventMap, WorktrailEventType } from '../worktrail/event-types.js';

/**
 * An output port whose edge may lead back to an earlier step: a bounded loop (a review
 * asking for changes, a ticket reopened). Validation allows a cycle only through such a
 * port, and the graph treats the edge as a back edge: it is no dependency of the first
 * pass; each time the port is written, the step it enters and everything after it run
 * again, with the value on `feedbackPort`.
 */
export interface BackEdgePort {
  /** The output port that may carry the back edge, e.g. `changes_requested`. */
  port: string;
  /**
   * Input port the back edge may enter on even when the revising step does not declare it.
   * @default "feedback"
   */
  feedbackPort?: string;
  /**
   * How many times one run may take the loop, read from the step's config. Return a
   * message instead (e.g. `config.max_revisions must be >= 1`) when the config names no
   * valid bound: validation reports it as `unbounded_loop`. A step that writes the port
   * once more than its bound fails with `LLMT_E_LOOP_LIMIT`.
   */
  bound(step: StepDefinition): number | string;
}

/** A durable timer as a step asks for it: the engine fills in tenant, run and step. */
export interface StepTimerSpec {
  /** Timer kind: the key of the handler in the step type's `timers` (or a core facility's). */
  kind: string;
  /** When it fires (ISO 8601). */
  dueAt: string;
  /** Data the handler receives with the timer. */
  payload?: Record<string, unknown>;
  /** @default a fresh id */
  timerId?: string;
}

/** Why a step's open work is being closed. */
export interface StepCloseReason {
  /** `cancelled` (run cancelled), `failed` (run failed), `restored` (restored from a snapshot), `timeout` (the step's own timeout). */
  cause: 'cancelled' | 'failed' | 'restored' | 'timeout';
  code: string;
  message: string;
}

/**
 * One step's part of one atomic run commit, as hooks see it. Everything a hook does here
 * (events, timers, interactions, audit entries, the step's outcome) lands in the same
 * commit, or in none: a hook that throws aborts the whole change.
 */
export interface StepCommit {
  readonly tenantId: string;
  readonly runId: string;
  readonly stepId: string;
  readonly step: StepDefinition;
  readonly config: Record<string, unknown>;
  /** The step's state as this commit sees it (updated by `complete`, `rerun`, `fail`). */
  readonly state: Readonly<StepStateRecord>;
  /** The run's status as this commit sees it. */
  readonly runStatus: RunStatus;
  /** Values on the step's input ports now, keyed by port id. */
  readonly inputs: Record<string, unknown>;
  /** The `input` port's value, or (several ports declared) the whole `inputs` object. */
  readonly input: unknown;
  readonly clock: Clock;
  /** The engine's current time as ISO 8601. */
  now(): string;
  newId(prefix?: string): string;
  /**
   * Appends an event of this step (`seq`, id and time are filled in). `type` must be in
   * {@link WorktrailEventMap} (a plugin augments it) and `data` must have its shape.
   */
  emit<K extends WorktrailEventType>(type: K, data: WorktrailEventMap[K]): void;
  /** Appends an audit entry (tenant, run and time are filled in); `action` must be in `AuditActionMap`. */
  audit<K extends AuditAction>(entry: StepAuditEntry<K>): void;
  /** Reads an interaction as this commit sees it (its own changes first, then the store). */
  interaction(interactionId: string): Promise<InteractionRecord | undefined>;
  /** Creates or replaces an interaction in this commit. */
  putInteraction(record: InteractionRecord): void;
  /** Adds a durable timer of this step; returns it as it will be stored. */
  addTimer(timer: StepTimerSpec): TimerRecord;
  /** Removes a timer (a no-op when it already fired in this commit). */
  removeTimer(timerId: string): void;
  /** Runs `fn` once the commit succeeded (notifications, wake-ups); not durable. */
  afterCommit(fn: () => void): void;
  /**
   * Finishes the waiting step in this very commit with these outputs (checked against its
   * declared ports); the steps that follow start in the same commit.
   */
  complete(outputs: Record<string, unknown>): void;
  /**
   * Runs the handler again (same attempt) with `ctx.resume` set to `data`, started in this
   * commit when the run holds no other obstacle.
   */
  rerun(data: unknown): void;
  /** Fails the step as if its handler had thrown `error` (retry policy and `on_error` apply). */
  fail(error: unknown): Promise<void>;
  /**
   * Delivers `data` to this step as `engine.signal` does: to the step type's
   * `onSignal`, or (none, or the run is paused) by re-running the handler with it. Returns
   * false when the step is not waiting. Core's interaction desk delivers closing answers
   * this way.
   */
  signal(data: unknown): Promise<boolean>;
}

/** A handler for a durable timer kind: fills the commit that consumes the timer. */
export type StepTimerHandler = (commit: StepCommit, timer: TimerRecord) => void | Promise<void>;

/**
 * The hooks of a step type. All optional; all run inside one run commit ({@link StepCommit})
 * and may only touch the store through it. Typical uses:
 *
 * - wait for something outside (`human_task`, a ticket, a child run of `segment`): the
 *   handler calls `ctx.suspend(payload, { timers, interactions })`; whoever has the answer
 *   calls `engine.signal(runId, stepId, data)`; `onSignal` finishes the step in that commit
 *   (`commit.complete`) or lets the handler continue (`commit.rerun`);
 * - durable timers (reminders, retry back-off of an `action`, tool-approval deadlines of an
 *   `llm_agent`): declare a kind in `timers`, add timers with `ctx.suspend` or
 *   `commit.addTimer`; they fire from the store, also after a restart;
 * - bounded loops: declare the port in `backEdges`;
 * - close external work (cancel a ticket, a child run) in `onClose`.
 */
export interface StepHooks {
  /**
   * Output ports that may carry a bounded back edge (a revision loop).
   * @default [] (no back edges: any cycle is refused)
   */
  backEdges?: BackEdgePort[];
  /**
   * Called inside the commit that delivers `data` to a waiting step of this type
   * (`engine.signal`, or a closing answer to a request the handler made with
   * `ctx.requestApproval`). Decide there: `commit.complete(outputs)` finishes the step in
   * this commit, `commit.rerun(data)` runs the handler again with `ctx.resume = data`,
   * `commit.fail(error)` fails it, doing nothing keeps it waiting (e.g. a partial answer).
   * Not called while the run is paused: the handler then runs again with `ctx.resume` on
   * resume, so a handler must accept resume data as well.
   * @default none: every signal re-runs the handler with `ctx.resume = data`
   */
  onSignal?: (commit: StepCommit, data: unknown) => void | Promise<void>;
  /**
   * Durable timer kinds this step type owns, by kind. A timer of a step of this type whose
   * kind is listed here fires this handler from the store, in the commit that consumes it.
   * @default {}
   */
  timers?: Record<string, StepTimerHandler>;
  /**
   * Called for each unfinished step of this type (running, waiting or retrying) inside the
   * commit that cancels, fails or restores the run, and for a running step when its own
   * timeout fires. Close what the step opened outside the run here. The engine itself
   * removes the run's timers and cancels its open interactions in that commit.
   */
  onClose?: (commit: StepCommit, reason: StepCloseReason) => void | Promise<void>;
}
