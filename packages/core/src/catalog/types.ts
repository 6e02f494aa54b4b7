import type { Context, Tracer } from '@opentelemetry/api';
import type { ActionRegistry } from '../actions/action-registry.js';
import type { StepActions } from '../actions/step-actions.js';
import type { DraftRequest, HumanOutcome, HumanRequestOptions } from '../human/types.js';
import type { LlmProvider } from '../llm/types.js';
import type { AgentMemoryScope } from '../memory/agent-memory.js';
import type { RetryPolicy, StepDefinition } from '../segment/types.js';
import type { InteractionRecord, RunRecord, TimerRecord } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { AuditAction, StepAuditEntry } from '../worktrail/audit-actions.js';
import type { WorktrailEventDraft, WorktrailEventMap, WorktrailEventType } from '../worktrail/event-types.js';
import type { StepCategory } from './step-category.js';
import type { StepHooks, StepTimerSpec } from './step-hooks.js';

export type { StepCategory } from './step-category.js';

/** A port a step type offers. */
export interface PortSpec {
  port_id: string;
  data_type?: string;
  description?: string;
}

/** Minimal structured logger (pino-compatible). */
export interface Logger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/**
 * Resolves secrets by name. Secrets never come from segment JSON. Built in: {@link envSecrets}
 * (the default) and `fileSecrets` (a mounted folder); a plugin adds others (a vault) with
 * `api.registerSecretsProvider`.
 */
export interface SecretsProvider {
  /**
   * Name of the provider (`"env"`, `"file"`, `"vault"`): errors name it, and the gateway
   * config's `secrets.provider` picks a registered provider by it.
   */
  readonly name?: string;
  /** The value of secret `name`, or `undefined` when this provider has none. */
  get(name: string, scope: { tenantId: string }): Promise<string | undefined>;
  /**
   * Where this provider looks for secret `name` (`environment variable LLMTEAM_SECRET_X`,
   * `file /run/secrets/x`), for the error that says how to provide a missing secret.
   */
  describe?(name: string): string;
}

/** The environment variable {@link envSecrets} reads for secret `name`. */
export function envSecretVariable(name: string, prefix = 'LLMTEAM_SECRET_'): string {
  return `${prefix}${name.toUpperCase().replace(/[-.]/g, '_')}`;
}

/** Secrets from environment variables: `name` -> `LLMTEAM_SECRET_<NAME>` (upper-cased, `-` and `.` as `_`). */
export function envSecrets(
  env: NodeJS.ProcessEnv = process.env,
  prefix = 'LLMTEAM_SECRET_',
): SecretsProvider {
  return {
    name: 'env',
    async get(name) {
      return env[envSecretVariable(name, prefix)];
    },
    describe: (name) => `environment variable ${envSecretVariable(name, prefix)}`,
  };
}

/** A function action registered with `registerActionHandler`; prefer `registerAction(name, fn)`. */
export type ActionHandler = (
  input: unknown,
  ctx: { tenantId: string; runId: string; idempotencyKey: string; signal: AbortSignal },
) => Promise<unknown>;

/** Named runtime resources a handler may use. */
export interface RuntimeResources {
  stores: Record<string, unknown>;
  clients: Record<string, unknown>;
  llms: Record<string, LlmProvider>;
  actions: Record<string, ActionHandler>;
}

/** What a handler passes to `ctx.suspend` besides its payload. */
export interface SuspendOptions {
  /** `human` puts the run in `waiting_human`, `action` in `waiting_action`. @default "action" */
  kind?: 'human' | 'action';
  /** Interactions to create in the same commit. */
  interactions?: InteractionRecord[];
  /**
   * Durable timers to add in the same commit; their kinds are handled by the step type's
   * `timers` hook (or a core facility's, e.g. interaction deadlines).
   */
  timers?: Array<StepTimerSpec | TimerRecord>;
  /** Extra events to append in the same commit (`seq`, ids and time are filled in). */
  events?: WorktrailEventDraft[];
  /**
   * Child runs (from `ctx.children.start`) the step waits on. The engine then cancels them
   * when the step is closed (run cancelled, failed, restored, step timed out), pauses and
   * resumes them with the run, and shows what they wait on in the run's `waitingOn`.
   * @default []
   */
  children?: string[];
  /**
   * Called once the commit that records the suspension succeeded (e.g. to send
   * notifications). Not called when that commit fails, and not durable: a crash right after
   * the commit skips it.
   */
  afterCommit?: () => void;
}

/** Options of {@link StepContext.checkpoint}. */
export interface CheckpointOptions {
  /** Events to append in the checkpoint's commit (`seq`, ids and time are filled in). */
  events?: WorktrailEventDraft[];
  /** Audit entries to append in the checkpoint's commit (tenant, run and time are filled in). */
  audit?: StepAuditEntry[];
}

/** A run a step starts as its child (see {@link StepContext.children}). */
export interface ChildRunOptions {
  /** A registered segment of the step's tenant. */
  segmentId: string;
  /** The version to run. @default the latest version when the child starts */
  version?: string;
  input?: unknown;
  /**
   * Tells apart several children of one invocation (e.g. one per tool call). The child's
   * idempotency key is `child:<ctx.idempotencyKey>[:<key>]`.
   * @default ""
   */
  key?: string;
}

/**
 * What a child run tells the step that started it when it ends: delivered to that step
 * like `engine.signal` (its type's `onSignal`, or a re-run with `ctx.resume`), at least
 * once, durably (a pending notification survives a crash of either run's worker).
 */
export interface ChildRunOutcome {
  type: 'child_run';
  run_id: string;
  segment_id: string;
  version: string;
  status: 'completed' | 'failed' | 'cancelled';
  outputs?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/** Child runs of a step: started idempotently, linked to the step, reported back to it. */
export interface ChildRuns {
  /**
   * Starts a run of a registered segment in this tenant as a child of this step, or returns
   * the one this invocation already started (same key: a re-run after a crash starts no
   * second child). When it ends, its {@link ChildRunOutcome} is delivered to this step.
   * @throws LlmteamError `LLMT_E_SEGMENT_NOT_FOUND`, `LLMT_E_CHILD_DEPTH`
   */
  start(options: ChildRunOptions): Promise<RunRecord>;
  /** Reads a run of this tenant (e.g. a child's status). */
  get(runId: string): Promise<RunRecord | undefined>;
}

/** Everything a step handler receives. */
export interface StepContext<TConfig = Record<string, unknown>> {
  readonly tenantId: string;
  readonly runId: string;
  readonly stepId: string;
  readonly step: StepDefinition;
  readonly config: TConfig;
  /** Values on input ports, keyed by port id. */
  readonly inputs: Record<string, unknown>;
  /** The `input` port's value, or (several ports declared) the whole `inputs` object. */
  readonly input: unknown;
  /** Attempt number, counting every attempt of this step in this run (1-based). */
  readonly attempt: number;
  /** How many times a revision loop sent this step back (0 on the first pass). */
  readonly iteration: number;
  /** `runId:stepId:attempt`: send it to external systems so a re-run is not applied twice. */
  readonly idempotencyKey: string;
  /** Aborted when the run is cancelled or the step times out. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Set when the step was suspended and is now resumed: the data it was resumed with. */
  readonly resume?: unknown;
  /** The payload this step suspended with, when resumed. */
  readonly suspended?: unknown;
  /** How many times this step has been resumed. */
  readonly resumes: number;
  /**
   * The state last saved with {@link StepContext.checkpoint} in this iteration of the step
   * (kept across re-runs, resumes and retries; cleared when a revision loop sends the step
   * back), or undefined.
   */
  readonly checkpointed?: unknown;
  /**
   * Commits `state` durably as the step's checkpoint, in a commit of its own, and resolves
   * once it is stored; the handler goes on running. A handler that runs again (after a
   * crash, a resume or a retry) finds it in `ctx.checkpointed`. This is how a step makes
   * progress safe inside one attempt: an agent commits each model response before acting on
   * it, so a crash repeats at most the call that was in flight.
   * @throws LlmteamError `LLMT_E_STEP_CANCELLED` when this invocation no longer owns the
   *   step (cancelled, timed out, or taken over by another worker).
   */
  checkpoint(state: unknown, options?: CheckpointOptions): Promise<void>;
  /**
   * True once a pause of the run was asked for while this handler runs: the cue for a long
   * step to stop at its next safe point with {@link StepContext.interrupt}. A pause made in
   * this process sets it at once; one made in another process, at the handler's next
   * {@link StepContext.checkpoint}. False again when the run is resumed before the
   * handler stopped.
   */
  readonly pauseRequested: boolean;
  /**
   * Ends this invocation at a safe point, keeping `progress` (when given) as the step's
   * checkpoint in the same commit: the step goes back to pending with the same attempt
   * (same idempotency key), and its handler is called again with `ctx.checkpointed` once
   * the run is resumed (at once when it is not paused), also by another engine after a
   * restart. Appends `step.interrupted`.
   */
  interrupt(progress?: unknown): never;
  /** `fetch` limited to the hosts the step type declares. */
  readonly http: (url: string | URL, init?: RequestInit) => Promise<Response>;
  /** Secrets limited to the names the step type declares. */
  readonly secrets: { get(name: string): Promise<string> };
  readonly resources: RuntimeResources;
  /**
   * Named actions (gateway config, plugins, code), called under their limits; each call is
   * audited in the commit of this step's result. E.g. `ctx.actions.execute('check_inventory', input)`.
   */
  readonly actions: StepActions;
  /**
   * This attempt's place in its run's trace: spans a handler starts with
   * `ctx.trace.tracer.startSpan(name, options, ctx.trace.context)` are children of the
   * step's span, and `traceparent` is what to send to a system the step calls.
   */
  readonly trace: StepTrace;
  /** Ids and timestamps as the engine makes them. */
  newId(prefix?: string): string;
  /**
   * The memory of an agent in this run's tenant (another tenant's is out of reach).
   * @default agentId the step's id
   */
  memory(agentId?: string): AgentMemoryScope;
  /** Child runs: start another segment as a run linked to this step, and read it. */
  readonly children: ChildRuns;
  /**
   * Appends an event of this step (e.g. a decision and its reason) to the commit that
   * records this invocation's outcome: its outputs, its suspension or its failure. Nothing
   * is written when that outcome is never recorded (a crash, an abort, a stale outcome), so
   * an event is never appended twice for one outcome. For an event that must be stored
   * before the handler goes on, use {@link StepContext.checkpoint} with `events`.
   */
  emit<K extends WorktrailEventType>(type: K, data: WorktrailEventMap[K]): void;
  /**
   * Appends an entry to the tenant's audit trail in the commit that records this
   * invocation's outcome, with the same rule as {@link StepContext.emit}: nothing is
   * written when that outcome is never recorded, so an entry is never appended twice. For
   * one that must be stored before the handler goes on, use {@link StepContext.checkpoint}
   * with `audit`. `action` must be registered in `AuditActionMap`.
   */
  audit<K extends AuditAction>(entry: StepAuditEntry<K>): void;
  /**
   * Suspends the step durably. Nothing stays in memory: the handler is called again, with
   * `ctx.resume` set, when someone resumes the step (e.g. a human answers).
   */
  suspend(payload: unknown, options?: SuspendOptions): never;
  /**
   * Asks a person to approve, mid-step, and returns the answer. The step suspends durably
   * until it comes; the handler is then called again and this call returns the answer.
   * Code before it therefore runs again on resume: keep it idempotent.
   */
  requestApproval(options: HumanRequestOptions): Promise<HumanOutcome>;
  /** Asks a person for input (validated against `options.inputSchema`); see {@link StepContext.requestApproval}. */
  requestInput(options: HumanRequestOptions): Promise<HumanOutcome>;
  /**
   * Prepares several requests at once, answered in any order, for a step that keeps track
   * of them itself: returns the interactions, their timers (deadline, SLA, escalation,
   * auto-approve), events and notifications as options for {@link StepContext.suspend}.
   * Suspend with `{ interactionIds: [...] }` in the payload and each closing answer reaches
   * the step type's `onSignal` (in the answer's commit) as a {@link HumanOutcome}.
   * E.g. `ctx.suspend({ interactionIds }, ctx.draftRequests(requests))`.
   */
  draftRequests(requests: DraftRequest[]): SuspendOptions;
  /**
   * Reports live progress (e.g. a model's streamed text): pieces are coalesced into
   * `step.progress` events for subscribers of this process, with the text offset; nothing
   * is stored. Send `{ reset: true }` before output starts over (a retried call), and
   * `{ done: true }` once the final output is stored.
   */
  progress(update: { text?: string; reset?: boolean; done?: boolean; turn?: number }): void;
  /**
   * The token budgets above this step that apply now, with what is used of each: the run's
   * (segment `token_budget`), the tenant's for the current period (engine option
   * `tokens.tenantBudgets`) and the tenant's `llm_tokens_per_month` limit (its tier's or its
   * override, this calendar month in UTC). Read from the stored model calls of every engine
   * sharing the store; empty when none is set.
   */
  tokenBudgets(): Promise<TokenBudgetState[]>;
}

/** One token budget and what is used of it (see {@link StepContext.tokenBudgets}). */
export interface TokenBudgetState {
  /** `run` (segment `token_budget`) or `tenant` (per period). */
  scope: 'run' | 'tenant';
  /** Tokens allowed. */
  limit: number;
  /** Tokens (input + output) used so far. */
  used: number;
  /** What the budget is, for messages: e.g. `token_budget of segment "orders"`. */
  name: string;
  /**
   * Set for the tenant's `llm_tokens_per_month` limit: the tier it comes from. A model call
   * once `used` reached `limit` is refused with `LimitExceededError` (`LLMT_E_LIMIT_EXCEEDED`).
   */
  tier?: string;
}

/** Where one step attempt sits in its run's trace (see {@link StepContext.trace}). */
export interface StepTrace {
  /** An OpenTelemetry context whose span is this attempt's span: the parent to give spans. */
  readonly context: Context;
  /** The engine's tracer (a no-op one without an SDK). */
  readonly tracer: Tracer;
  readonly traceId: string;
  /** Id of the attempt's span (stable across restarts of the attempt). */
  readonly spanId: string;
  /** W3C `traceparent` of the attempt's span. */
  readonly traceparent: string;
}

/** What {@link StepTypeDefinition.outputsFor} returns. */
export interface StepOutputPorts {
  /** Port ids the step can write with its config. */
  ports: readonly string[];
  /** How to make the other ports available, e.g. `only task_type "review" requests changes`. */
  hint?: string;
}

/** Values on output ports, keyed by port id; a port left out is an untaken branch. */
export type StepOutputs = Record<string, unknown>;

/**
 * A step type: how the catalog describes it, how it runs, and (through {@link StepHooks})
 * how it waits, owns timers, loops back and cleans up.
 */
export interface StepTypeDefinition<TConfig = any> extends StepHooks {
  /** Name used as `step_type` in segments, e.g. `transform` or `acme.erp_lookup`. */
  type: string;
  displayName: string;
  category: StepCategory;
  description?: string;
  /** JSON Schema of `config` (draft-07), checked with ajv at validation. */
  configSchema: Record<string, unknown>;
  /** Default input ports. */
  inputs: PortSpec[];
  /** Default output ports. */
  outputs: PortSpec[];
  /** The segment may declare ports of its own (split, join). @default false */
  dynamicPorts?: boolean;
  /**
   * The output ports a step with this config can ever write, when that depends on its
   * config: a `human_task` of `task_type: "approval"` never writes `changes_requested`.
   * Validation refuses an edge (a back edge too) that leaves any other port, with `hint`
   * in the message; at run time a handler writing another port fails with
   * `LLMT_E_STEP_OUTPUT`.
   * @default every port of `outputs` (or the step's declared ones)
   */
  outputsFor?: (step: StepDefinition) => StepOutputPorts;
  /** Outbound hosts and secret names the handler may use (`ctx.http`, `ctx.secrets`). */
  permissions?: { hosts?: string[]; secrets?: string[] };
  /**
   * Decides readiness early: called with the ports that received a value so far and the
   * ports that never will (every edge into them comes from a settled step that did not
   * write it: skipped, rejected, routed elsewhere); return true to start before every
   * predecessor has settled (e.g. `parallel_join` any / N, or a join that can no longer be
   * complete and fails at once).
   */
  readyWhen?: (arrived: string[], step: StepDefinition, untaken: string[]) => boolean;
  /**
   * The segments a step of this type refers to (e.g. the child segment of a `segment`
   * step), each with the path of the field that names it (relative to the step, e.g.
   * `.config.segment_id`). `upsertSegment` checks each is registered (`unknown_segment`)
   * and that no chain of references leads back to the segment itself (`segment_cycle`).
   * @default none
   */
  references?: (step: StepDefinition) => Array<{ path: string; segmentId: string; version?: string }>;
  /**
   * Extra semantic checks on a step of this type; return problems as
   * `[relativePath, message]`, or `[relativePath, message, code]` to give the problem a
   * code of its own (e.g. `unknown_route`).
   * @default problems carry the code `invalid_step`
   */
  validate?: (step: StepDefinition) => Array<[path: string, message: string, code?: string]>;
  /**
   * Retry policy for a step of this type that sets no `retry` of its own (e.g. `action`
   * steps take their action's `retry_count`). Retries are durable timers either way.
   */
  defaultRetry?: (step: StepDefinition, runtime: { actions: ActionRegistry }) => RetryPolicy | undefined;
  /**
   * Runs the step: returns its outputs, throws (a `StepError` says whether to retry), or
   * suspends with `ctx.suspend`. Called again with `ctx.resume` set when a suspended step is
   * resumed, and with `ctx.checkpointed` set after a checkpoint.
   */
  handler: (ctx: StepContext<TConfig>) => Promise<StepOutputs> | StepOutputs;
}

/** The public, serialisable description of a step type (what `stepTypes` lists). */
export interface StepTypeInfo {
  type: string;
  displayName: string;
  category: StepCategory;
  description?: string;
  configSchema: Record<string, unknown>;
  inputs: PortSpec[];
  outputs: PortSpec[];
  dynamicPorts: boolean;
  permissions: { hosts: string[]; secrets: string[] };
}

/** Returns the definition unchanged, typed: the way to publish a step type. */
export function defineStepType<TConfig = Record<string, unknown>>(
  definition: StepTypeDefinition<TConfig>,
): StepTypeDefinition<TConfig> {
  return definition;
}
