/**
 * The one registry of worktrail event types: each dotted `type` with the shape of its
 * `data`. Every emitter in core is typed against it, so an unknown type or a wrong data
 * shape is a compile error, and `@llmteam/client` reads the same types.
 *
 * Adding a type is one entry in {@link WorktrailEventMap} (plus its line in the README's
 * event table, which a test checks). A plugin adds its own types the same way, by
 * augmenting the interface from its package:
 *
 * ```ts
 * declare module '@llmteam/core' {
 *   interface WorktrailEventMap {
 *     'acme.ticket.opened': { ticket: string };
 *   }
 * }
 * ```
 *
 * Data shapes are written as object type literals (not interfaces) so they stay
 * assignable to the stored envelope's `Record<string, unknown>`.
 */
import type { LlmFinishReason } from '../llm/types.js';
import type {
  ErrorInfo,
  InteractionPriority,
  InteractionType,
  RunStatus,
  SnapshotReason,
  WorktrailEvent,
} from '../store/types.js';

/** Why a channel is being told about an interaction. */
export type NotificationReason = 'requested' | 'escalated' | 'sla_warning' | 'sla_breached' | 'reminder';

/** The `data` of `step.failed`, `step.retrying` and `run.failed`: the step's error. */
export type EventError = ErrorInfo;

/** The `data` every `interaction.notified` event carries: one channel's delivery result. */
export type NotificationResultData = {
  /** The channel's registered name (`slack`, `email`, ...). */
  channel: string;
  /** True when the channel accepted the message. */
  ok: boolean;
  /** The channel's own id for the message, when it reports one. */
  message_id?: string;
  /** Delivery attempts the channel made. */
  attempts?: number;
  /** Why the delivery failed. */
  error?: string;
  /** Addresses the channel sent to, when it reports them. */
  to?: string[];
};

/** The `data` of `action.completed` and `action.failed`: a summary of one action call. */
export type ActionCallData = {
  /** The action's declared name. */
  action: string;
  /** Its type (`webhook`, `rest_api`, `function`, ...). */
  action_type: string;
  status: string;
  duration_ms: number;
  retry_count: number;
  idempotency_key: string;
  correlation_id?: string;
  /** HTTP status, gRPC status name, SQL row count... whatever the type reports. */
  response_code?: unknown;
  error_type?: string;
  error_message?: string;
};

/**
 * Every worktrail event type core emits, keyed by its dotted name, with the shape of its
 * `data`. Events carry ids, counts and port names, never step outputs (those are stored
 * once, on the step). Augment it to register a plugin's own types.
 */
export interface WorktrailEventMap {
  /** The run was created (first event, `seq` 1); a fork names its snapshot and source run. */
  'run.created': {
    segment_id: string;
    version: string;
    /** Subject that started the run (`actor` of the start call). */
    actor?: string;
    /** Snapshot a forked run starts from. */
    forked_from?: string;
    /** Run the forked snapshot belongs to. */
    source_run?: string;
    /** A child run: the run whose step started it. */
    parent_run_id?: string;
    /** A child run: the step that started it. */
    parent_step_id?: string;
  };
  /** A worker picked the run up; `recovered` after a restart found it pending. */
  'run.started': { input?: boolean; forked_from?: string; recovered?: boolean };
  /** The run waits on a human or an action (`status` is the new run status). */
  'run.waiting': { status: RunStatus };
  /** Someone paused the run: no step starts until it is resumed. */
  'run.paused': { actor: string };
  /** Someone resumed a paused run. */
  'run.resumed': { actor: string };
  /** Every step finished; `outputs` lists the step ids whose outputs are the run's outputs. */
  'run.completed': { outputs: string[] };
  /** A step failed with `on_error: fail` (or the run could not go on). */
  'run.failed': { error: { code: string; message: string } };
  /** Someone cancelled the run. */
  'run.cancelled': { actor: string; reason?: string };
  /** A step's handler was started (`iteration` counts passes through a revision loop). */
  'step.started': { attempt: number; iteration: number };
  /** A suspended step's handler was started again (an answer, a signal, a resume). */
  'step.resumed': { attempt: number };
  /** A step finished; `ports` names the output ports it wrote. */
  'step.completed': { attempt: number; ports: string[]; duration_ms: number };
  /** A step failed for good; `routed` when `on_error: route` sent the error on. */
  'step.failed': { attempt: number; error: EventError; routed?: boolean; duration_ms?: number };
  /** A step failed and will run again after `delay_ms` (a durable retry timer). */
  'step.retrying': {
    attempt: number;
    next_attempt: number;
    delay_ms: number;
    error: EventError;
    /** How long the failed attempt ran. */
    duration_ms?: number;
  };
  /**
   * A handler stopped at a safe point (`ctx.interrupt`), its progress kept: the step runs
   * again with the same attempt, once the run is resumed when `paused`.
   */
  'step.interrupted': { attempt: number; paused: boolean };
  /** A step did not run: every incoming branch was not taken. */
  'step.skipped': { reason: string };
  /** A step's handler suspended (waits for an answer, a signal or a timer). */
  'step.suspended': { kind: string };
  /** A back edge was taken: the target step and the steps after it run again. */
  'step.revision': { from: string; iteration: number; reset: string[] };
  /** A request for a person was created. */
  'interaction.requested': {
    interaction_id: string;
    type: InteractionType;
    priority: InteractionPriority;
    assignees: { users: string[]; groups: string[] };
    /** 0 for the first request, 1.. after each request for changes. */
    revision: number;
    parent_id?: string;
    previous_feedback?: string;
    deadline?: string;
  };
  /** One notification channel's delivery result for a request. */
  'interaction.notified': NotificationResultData & { interaction_id: string; reason: NotificationReason };
  /** Someone answered a request; `final` when the answer closes it. */
  'interaction.responded': { interaction_id: string; action: string; by: string; final: boolean };
  /** A request moved up its escalation chain to `level`. */
  'interaction.escalated': {
    interaction_id: string;
    level: number;
    assignees: { users: string[]; groups: string[] };
  };
  /** A group request was given to one member by the step's assignment strategy. */
  'interaction.assigned': {
    interaction_id: string;
    strategy: string;
    group: string;
    subject: string;
    /** Open requests the member had when chosen. */
    load: number;
    /** Members that could be chosen. */
    candidates: number;
  };
  /** A request reached its SLA warning time; `breach_at` is when it breaches. */
  'interaction.sla_warning': { interaction_id: string; breach_at?: string };
  /** A request was not answered by its SLA breach time. */
  'interaction.sla_breached': { interaction_id: string };
  /**
   * A request timed out. Emitted as the closing answer (with `action`, `by`, `final`) or,
   * when `on_timeout` resolved it as `approve` / `reject`, with `resolved_as`.
   */
  'interaction.timed_out': {
    interaction_id: string;
    action?: string;
    by?: string;
    final?: boolean;
    resolved_as?: string;
  };
  /** A named action called by a step (or an agent's tool) completed. */
  'action.completed': ActionCallData;
  /** A named action called by a step (or an agent's tool) failed. */
  'action.failed': ActionCallData;
  /** A snapshot of the run was taken (`reason`: manual, checkpoint, auto, pause, error, fork; `label` when the caller named it). */
  'snapshot.created': { snapshot_id: string; reason: SnapshotReason; label?: string };
  /** The run was restored from a snapshot. */
  'snapshot.restored': { snapshot_id: string; actor: string };
  /** An agent's model call finished; its result is committed before anything acts on it. */
  'model.call.completed': {
    turn: number;
    provider: string;
    /** The model the provider reports (or the configured one). */
    model?: string;
    finish_reason: LlmFinishReason;
    usage: { input_tokens: number; output_tokens: number; cached_input_tokens: number };
    /** Names of the tools the model asked for. */
    tool_calls: string[];
    duration_ms: number;
  };
  /**
   * Live, not stored (`seq` 0): a piece of a step's streamed output. `text` starts at
   * `offset` of the partial output of model call `turn`; `reset` drops the partial so far (a
   * retried call), `snapshot` is the partial so far for a subscriber that joined mid-stream.
   */
  'step.progress': { turn?: number; offset: number; text: string; reset?: boolean; snapshot?: boolean };
  /** An agent's tool call finished; its result is committed before the model sees it. */
  'tool.call.completed': ToolCallData;
  /** An agent's tool call failed; the model is told why. */
  'tool.call.failed': ToolCallData;
  /** An agent's tool call did not run (refused, changes asked, timed out); the model is told why. */
  'tool.call.refused': ToolCallData;
  /**
   * An agent's tool call was delegated to a child run (e.g. a child segment as a tool); the
   * child's result becomes the tool result when it ends.
   */
  'tool.call.delegated': ToolCallData & { child_run_id: string; segment_id: string; version: string };
  /**
   * An agent handed the conversation off to another agent (`segment_id`, run
   * `child_run_id`), carrying the context `keys` and `metadata`; the other agent's outputs
   * become the handing agent's output.
   */
  'agent.handoff': ToolCallDataBase & {
    child_run_id: string;
    segment_id: string;
    version: string;
    keys: string[];
    metadata: Record<string, unknown>;
  };
  /**
   * A call of an agent pool's tool was given to one agent of the pool (`segment_id`, run
   * `child_run_id`) by the entry's strategy; `load` is its unfinished runs when chosen,
   * `position` the choice's place among all of the pool's choices (from 1, gapless).
   */
  'agent.assigned': ToolCallDataBase & {
    pool: string;
    strategy: string;
    segment_id: string;
    child_run_id: string;
    load: number;
    candidates: number;
    position: number;
  };
  /** An agent's tool call waits for a person: `interaction_id` is the review request. */
  'tool.approval.requested': { turn: number; call_id: string; tool: string; interaction_id: string };
  /**
   * The closing answer to a tool approval was read: `action` is `approve`, `reject`,
   * `request_changes`, `timeout` or `unreadable` (refused); `edited` when approved with edits.
   */
  'tool.approval.decided': {
    turn: number;
    call_id: string;
    tool: string;
    interaction_id: string;
    action: string;
    by: string;
    edited: boolean;
  };
  /** A signal reached an agent waiting for approvals but was no answer to them; nothing changed. */
  'tool.approval.ignored': { reason: string };
  /**
   * An agent wrote keys of its final answer to its memory (`namespace`); `kept` are keys its
   * attempt had already written (a re-run after a crash), left as they were.
   */
  'memory.written': { namespace: string; keys: string[]; kept: string[] };
  /** A `router` step chose its route: the port taken, why, and the routes it had. */
  'router.decided': {
    route: string;
    reason: string;
    mode: 'rules' | 'llm';
    /** Rules mode: index of the matching route. */
    rule?: number;
    /** No rule matched (or the model named no declared route): the default was taken. */
    defaulted?: boolean;
    routes: string[];
  };
  /** A step started a child run (a `segment` step) and waits for it. */
  'child_run.started': { child_run_id: string; segment_id: string; version: string };
  /** A child run the step waited on ended; the step finishes (or fails) in this commit. */
  'child_run.finished': { child_run_id: string; segment_id: string; version: string; status: RunStatus };
}

/** The call an agent event is about. */
export type ToolCallDataBase = { turn: number; call_id: string; tool: string };

/** The `data` of `tool.call.completed` and `tool.call.failed`. */
export type ToolCallData = {
  turn: number;
  /** The model's id for the call. */
  call_id: string;
  /** The action called as a tool. */
  tool: string;
  /** `runId:stepId:turn:callId`, sent with the call. */
  idempotency_key: string;
};

/** A registered worktrail event type (`run.started`, `step.completed`, ...). */
export type WorktrailEventType = keyof WorktrailEventMap & string;

/** The `data` shape of event type `K`. */
export type WorktrailEventData<K extends WorktrailEventType> = WorktrailEventMap[K];

/**
 * An event as an emitter hands it over (type and data; `seq`, ids and time are filled in
 * by the engine). A union over the registry, so `type` picks the `data` shape.
 */
export type WorktrailEventDraft<K extends WorktrailEventType = WorktrailEventType> = {
  [P in K]: { type: P; data: WorktrailEventMap[P] };
}[K];

/**
 * A stored event whose `type` is one of `K`, with `data` typed by the registry. The
 * stored {@link WorktrailEvent} keeps `type: string` because a store holds events of
 * every version and plugin; narrow it with {@link isWorktrailEventOf}.
 */
export type TypedWorktrailEvent<K extends WorktrailEventType = WorktrailEventType> = {
  [P in K]: Omit<WorktrailEvent, 'type' | 'data'> & { type: P; data: WorktrailEventMap[P] };
}[K];

/**
 * True when `event` has one of `types`; narrows it to that type's registered data shape.
 *
 * @example
 * if (isWorktrailEventOf(event, 'step.completed')) console.log(event.data.ports);
 */
export function isWorktrailEventOf<K extends WorktrailEventType>(
  event: WorktrailEvent,
  ...types: K[]
): event is WorktrailEvent & TypedWorktrailEvent<K> {
  return (types as string[]).includes(event.type);
}
