import type { ActionCoordination } from '../actions/action-policies.js';
import type { ActionRegistry } from '../actions/action-registry.js';
import type { OutboundGuardOptions } from '../actions/outbound-guard.js';
import type { ActionConfig, ActionTypeHandler } from '../actions/types.js';
import type { AuditLog, AuditOptions, AuditVerifyOptions } from '../audit/audit-log.js';
import type { AuditVerification } from '../audit/hash-chain.js';
import type { StepCatalog } from '../catalog/step-catalog.js';
import type { Logger, RuntimeResources, SecretsProvider, StepTypeDefinition } from '../catalog/types.js';
import type { ComplianceReport } from '../compliance/compliance-types.js';
import type { SubjectDirectory } from '../directory/subject-directory.js';
import type { RetentionOptions, RetentionSchedule } from '../lifecycle/retention-schedule.js';
import type { TokenAccountingOptions, TokenTotals } from '../llm/token-usage.js';
import type { AgentMemory, AgentMemoryOptions } from '../memory/agent-memory.js';
import type { NotificationChannel } from '../notify/types.js';
import type { HttpRoute } from '../plugins/http-route.js';
import type { TenantResourceOptions, TenantResources } from '../plugins/tenant-resources.js';
import type { ConfiguredPlugin, LlmteamPlugin } from '../plugins/types.js';
import type { SecretRedactor } from '../secrets/secret-redactor.js';
import type { SegmentDefinition } from '../segment/types.js';
import type { ValidationResult } from '../segment/validate.js';
import type {
  AuditRecord,
  InteractionRecord,
  InteractionStatus,
  Page,
  RunRecord,
  RunStatus,
  SegmentRecord,
  SnapshotQuery,
  SnapshotRecord,
  StepStateRecord,
  Store,
  TimerRecord,
  WorktrailEvent,
} from '../store/types.js';
import type { TelemetryOptions } from '../telemetry/engine-telemetry.js';
import type { TenancyOptions, TenantManager } from '../tenancy/tenant-manager.js';
import type { Clock } from '../util/clock.js';
import type { IdGenerator } from '../util/ids.js';
import type { SealingOptions } from './engine-sealing.js';
import type { InvokeOptions, InvokeResult } from './invoke.js';
import type { LiveProgress } from './live-progress.js';
import type { StepSlotsView } from './step-slots.js';
import type { TenantEngine } from './tenant-engine.js';
import type { UnsealOptions, UnsealResult } from './unseal.js';

/** The tenant used when a call names none. */
export const DEFAULT_TENANT = 'default';

/** Who is acting: recorded on events, audit entries and answers. */
export interface Actor {
  /** User id, email or service name. @default "system" */
  subject: string;
  groups?: string[];
  /** Roles of the actor in the tenant; `admin` may answer any interaction. */
  roles?: string[];
}

/** Tenant and actor of a call. */
export interface CallScope {
  /** @default "default" */
  tenantId?: string;
  /** @default { subject: "system" } */
  actor?: Actor;
}

/** Options of {@link Engine.validateWithReferences}. */
export interface ReferenceValidationOptions extends CallScope {
  /** Segments to resolve references against before the store (e.g. files beside the one checked). @default [] */
  segments?: SegmentDefinition[];
}

/** Options of `createEngine`; only `store` is required. Plain-value defaults are in {@link DEFAULT_ENGINE_OPTIONS}. */
export interface EngineOptions {
  store: Store;
  /** Step types; built-ins are always present. @default a new catalog with the built-ins */
  catalog?: StepCatalog;
  /** Plugins to set up on this engine (already imported; see `loadPlugins`). */
  plugins?: Array<LlmteamPlugin | ConfiguredPlugin>;
  /** Extra step types, registered like a plugin would. */
  stepTypes?: StepTypeDefinition[];
  /** Notification channels for interactions. */
  channels?: NotificationChannel[];
  /** @default systemClock */
  clock?: Clock;
  /** @default ULID ids */
  ids?: IdGenerator;
  /** @default silentLogger */
  logger?: Logger;
  /**
   * Where secrets come from: a provider (`envSecrets()`, `fileSecrets({ dir })`, your own),
   * or the name of one a plugin registers (`"vault"`), which is then the only one asked
   * besides other plugins' providers.
   * @default env secrets (`LLMTEAM_SECRET_<NAME>`)
   */
  secrets?: SecretsProvider | string;
  /**
   * The redactor resolved secrets are registered with; pass one to share it with the host
   * (the gateway scrubs its own logs with it). @default a new one, as `engine.redactor`
   */
  redactor?: SecretRedactor;
  /** Named resources handed to step handlers. */
  resources?: Partial<RuntimeResources>;
  /**
   * Resources of single tenants (LLM providers, clients, stores, a secrets provider): a
   * tenant's steps resolve them over `resources`, no other tenant's ever do. Add more later
   * with `engine.tenantResources.registrar(tenantId)` or a plugin's `api.forTenant`.
   * @default none
   */
  tenantResources?: Record<string, TenantResourceOptions>;
  /** Identity of this engine in leases. @default a fresh id */
  workerId?: string;
  /** How long a run or timer claim lasts without renewal, in ms. @default 30000 ({@link DEFAULT_ENGINE_OPTIONS}) */
  leaseMs?: number;
  /** How often to look for due timers and orphaned runs, in ms. @default 1000 ({@link DEFAULT_ENGINE_OPTIONS}) */
  pollIntervalMs?: number;
  /**
   * Step handlers this engine runs at once, shared fairly between tenants: a tenant below
   * its share (this number divided by the tenants with steps running or waiting here)
   * starts its steps at once, so a busy tenant never delays a quiet one; above its share, a
   * tenant's steps wait (in memory, in the order they became ready) until one of its
   * handlers ends or the engine has a free slot. A step that waits is already started in the
   * store: after a crash it runs again with the same attempt. `Infinity` for no limit.
   * @default 32 ({@link DEFAULT_ENGINE_OPTIONS})
   */
  maxConcurrentSteps?: number;
  /**
   * How long `startRun({ segmentId })` without a `version` keeps using the latest version it
   * read, in ms, before it reads the store again. This engine's own `upsertSegment` is seen
   * at once; a version another process stores, within this time. 0 reads every time.
   * @default 1000 ({@link DEFAULT_ENGINE_OPTIONS})
   */
  segmentCacheMs?: number;
  /** Token prices (cost estimates) and tenant token budgets per period. */
  tokens?: TokenAccountingOptions;
  /**
   * Tenants: the deployment's terms (a verified licence) and whether unknown tenants are
   * created on first use. @default terms none, implicitTenants false
   */
  tenancy?: TenancyOptions;
  /** Streamed pieces (`ctx.progress`) arriving within this many ms make one `step.progress` event. @default 50 */
  progressCoalesceMs?: number;
  /**
   * What the deployment grants step types beyond their own declarations, by step type:
   * e.g. `{ http_action: { hosts: ['api.example.com'], secrets: ['erp_token'] } }`. The
   * built-in `http_action` declares nothing, so it reaches only what is granted here.
   * @default {}
   */
  permissions?: Record<string, { hosts?: string[]; secrets?: string[] }>;
  /** Public URL of the gateway, for links in notifications. */
  publicUrl?: string;
  /** Secret that signs one-time answer links. @default a random secret per engine */
  linkSecret?: string;
  /**
   * Named actions (the gateway config's `actions` section): `{ check_inventory: { type:
   * "webhook", url, auth_type, ... } }`. Secrets are named, never inlined. @default {}
   */
  actions?: Record<string, ActionConfig>;
  /** Action types besides the built-ins, registered like a plugin would. @default [] */
  actionTypes?: ActionTypeHandler[];
  /** Where action rate limits and breaker state live. @default in memory, per process */
  actionCoordination?: ActionCoordination;
  /**
   * Outbound safety of HTTP actions. Every address is checked at connect time; loopback,
   * private, link-local and metadata addresses are refused unless listed in `allow`
   * (addresses or CIDR ranges, e.g. `["10.20.0.0/16"]`). @default { allow: [] }
   */
  outbound?: OutboundGuardOptions;
  /**
   * Who belongs to which group, with their skills: what `assignment` strategies of group
   * requests choose from (`staticDirectory([...])`, or your own lookup).
   * @default none: a step with `assignment` fails with `LLMT_E_NO_ASSIGNEE`
   */
  directory?: SubjectDirectory;
  /** Limits and caching of agent memory (`engine.memory`, `ctx.memory`). @default 1,000 entries, 100 MB, 24 h per agent */
  memory?: AgentMemoryOptions;
  /** Audit checkpoints: signing key, schedule, external anchors. @default development key, hourly, no anchors */
  audit?: AuditOptions;
  /** The retention sweep's schedule (each tenant's policy, through `Store.sweepRetention`). @default hourly */
  retention?: RetentionOptions;
  /** Random source in [0, 1) for retry jitter. @default Math.random */
  random?: () => number;
  /**
   * OpenTelemetry tracing: spans of runs, steps, model, tool and action calls and waits
   * for a person. @default the global tracer provider (no spans until an SDK registers one)
   */
  telemetry?: TelemetryOptions;
  /**
   * Sealed fields (`sealed_fields` of segments and steps): the key provider that wraps their
   * data keys. @default none: a run that seals fields fails with `LLMT_E_SEALING_KEY`
   */
  sealing?: SealingOptions;
}

/**
 * The defaults of {@link EngineOptions} that are plain values, in one place; the engine
 * reads them from here. Options whose default is a fresh object (catalog, ids, secret,
 * worker id) say so on the option.
 */
export const DEFAULT_ENGINE_OPTIONS = Object.freeze({
  /** @default 30000 */
  leaseMs: 30_000,
  /** @default 1000 */
  pollIntervalMs: 1000,
  /** @default 1000 */
  segmentCacheMs: 1000,
  /** @default 32 */
  maxConcurrentSteps: 32,
  /** @default Math.random */
  random: Math.random,
}) satisfies Partial<EngineOptions>;

/** A run with its step states. */
export interface RunView {
  run: RunRecord;
  steps: StepStateRecord[];
}

/** What a run is waiting on right now. */
export interface WaitingOn {
  interactions: InteractionRecord[];
  timers: TimerRecord[];
  /** Steps suspended on something other than a person. */
  actions: StepStateRecord[];
  /**
   * Unfinished child runs the run's waiting steps wait on, each with what it waits on
   * itself; their open requests are listed in `interactions` too.
   */
  children: Array<{ stepId: string; run: RunRecord; waitingOn: WaitingOn }>;
}

/** Options of `engine.startRun`: a stored segment (or an inline definition), the input and an idempotency key. */
export interface StartRunOptions extends CallScope {
  /** Registered segment to run (latest version unless `version`). */
  segmentId?: string;
  version?: string;
  /** Or an inline definition (validated, and stored as a segment version). */
  segment?: SegmentDefinition | unknown;
  input?: unknown;
  /** A second start with the same key returns the first run. */
  idempotencyKey?: string;
  /**
   * How long the run may take from its start, waits and pauses included (ISO 8601 or
   * seconds): past it the run fails with `LLMT_E_RUN_TIMEOUT`, its open requests are
   * cancelled, its child runs cancelled and its running handlers aborted. The deadline is
   * a durable timer: it fires after a restart too.
   * @default the segment's `timeout`, else no limit
   */
  timeout?: string | number;
  /**
   * Retries after the first attempt for the run's steps that set no `retry` of their own.
   * @default the segment's `max_retries`, else 0
   */
  maxRetries?: number;
  /**
   * W3C `traceparent` of the caller: the run's spans join that trace, also after a
   * restart. @default the active span's context, else a new trace
   */
  traceparent?: string;
  /** W3C `tracestate` that goes with `traceparent`. */
  tracestate?: string;
}

/** Options of {@link Engine.createSnapshot}. */
export interface CreateSnapshotOptions extends CallScope {
  /**
   * `checkpoint`: a restore point meant to be kept (retention sweeps leave it); `manual`: any
   * other snapshot taken by hand.
   * @default "manual"
   */
  type?: 'manual' | 'checkpoint';
  /** A name of your choice, 1 to 200 characters (e.g. `before-migration`). */
  label?: string;
}

/** Which snapshots {@link Engine.querySnapshots} lists, newest first. */
export type SnapshotListQuery = SnapshotQuery & CallScope;

/** Options of `engine.events`: follow a run's events after a `seq`. */
export interface EventsOptions extends CallScope {
  /** Only events with `seq > afterSeq`. @default 0 */
  afterSeq?: number;
  /** Stops the iterator. */
  signal?: AbortSignal;
  /**
   * Also live `step.progress` events of steps streaming in this process (not stored, `seq`
   * 0), starting with the partial output so far.
   * @default false
   */
  progress?: boolean;
}

/** An answer to an interaction. */
export interface RespondOptions extends CallScope {
  /** `approve`, `reject`, `request_changes`, `respond` (choice / input / task / review), `message` and `close` (chat). */
  action: 'approve' | 'reject' | 'request_changes' | 'respond' | 'message' | 'close';
  value?: unknown;
  comment?: string;
}

/** Options of `engine.waitForRun`. */
export interface WaitOptions extends CallScope {
  /** Statuses to wait for. @default terminal and waiting statuses */
  until?: RunStatus[];
  /** How long to wait before `LLMT_E_TIMEOUT`, in ms. @default 30000 ({@link DEFAULT_WAIT_OPTIONS}) */
  timeoutMs?: number;
}

/** Defaults of {@link WaitOptions}. */
export const DEFAULT_WAIT_OPTIONS = Object.freeze({
  /** @default 30000 */
  timeoutMs: 30_000,
}) satisfies Partial<WaitOptions>;

/** Options of `engine.stop`. */
export interface StopOptions {
  /** How long in-flight commits may take to finish, in ms. @default 5000 ({@link DEFAULT_STOP_OPTIONS}) */
  graceMs?: number;
}

/** Defaults of {@link StopOptions}. */
export const DEFAULT_STOP_OPTIONS = Object.freeze({
  /** @default 5000 */
  graceMs: 5000,
}) satisfies StopOptions;

/** Filters of `engine.listInteractions`. */
export interface ListInteractionsQuery extends CallScope {
  status?: InteractionStatus | InteractionStatus[];
  /** Only requests this subject (or its groups) may answer. */
  assignee?: string;
  runId?: string;
  /**
   * The first `limit` requests in SLA order, read page by page from the store's due index
   * (no full scan): for inboxes over many waiting runs. Open requests only.
   * @default unlimited (every matching request, sorted in memory)
   */
  limit?: number;
  /**
   * With `limit`: the page after this request's `interactionDueKey` (the last one of the
   * previous page), so an inbox loads page by page in SLA order.
   */
  after?: string;
}

/** The durable engine. */
export interface Engine {
  readonly store: Store;
  readonly catalog: StepCatalog;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly workerId: string;
  /**
   * Every secret value the engine's providers resolved: logs, step errors, events, audit
   * entries and notifications are scrubbed with it; hosts scrub their own output with it too.
   */
  readonly redactor: SecretRedactor;
  /** Live, unstored progress of the steps running in this engine (`step.progress`). */
  readonly progress: LiveProgress;
  /** Named actions: register function actions, list them, or call one outside a step. */
  readonly actions: ActionRegistry;
  /** Agent memory per tenant and agent, in the store's `memory` role. */
  readonly memory: AgentMemory;
  /** The audit log's signed checkpoints, verification against them and inclusion proofs. */
  readonly audit: AuditLog;
  /** The retention sweep: on the `retention.sweepEvery` schedule while running, or now with `sweep()`. */
  readonly retention: RetentionSchedule;
  /** Named stores, clients and LLM providers (`resources.llms[name]`) that plugins registered. */
  readonly resources: RuntimeResources;
  /** Resources registered per tenant (`registrar(tenantId)` adds some). */
  readonly tenantResources: TenantResources;
  /**
   * The slots step handlers run in here (`maxConcurrentSteps`), shared fairly between
   * tenants: `usage()` gives each tenant's running and waiting handlers.
   */
  readonly slots: StepSlotsView;

  /** Initialises the store, recovers orphaned runs and starts the timer loop. */
  start(): Promise<void>;
  /** Stops the timer loop, lets in-flight commits finish (up to `graceMs`), releases leases. */
  stop(options?: StopOptions): Promise<void>;

  validate(segment: unknown): ValidationResult;
  /**
   * Validates a segment as `upsertSegment` does, without storing it: every problem of
   * {@link Engine.validate} and, when there are none, those of the segments its steps refer
   * to (`unknown_segment`, `segment_cycle`, each at the field that names the segment),
   * resolved against `options.segments` first and then the tenant's stored segments.
   */
  validateWithReferences(segment: unknown, options?: ReferenceValidationOptions): Promise<ValidationResult>;
  /** Validates and stores a segment version. @throws SegmentValidationError */
  upsertSegment(segment: unknown, scope?: CallScope): Promise<SegmentRecord>;

  startRun(options: StartRunOptions): Promise<RunRecord>;
  /**
   * Starts a run of a stored segment and returns when it ends or waits: its status,
   * outputs, error and the requests it waits on. A run this process drives is followed in
   * memory, so nothing (however large) is read back from the store.
   */
  invoke(segmentId: string, input?: unknown, options?: InvokeOptions): Promise<InvokeResult>;
  getRun(runId: string, scope?: CallScope): Promise<RunView | undefined>;
  /** Resolves when the run reaches one of `until` (terminal or waiting by default). */
  waitForRun(runId: string, options?: WaitOptions): Promise<RunRecord>;
  waitingOn(runId: string, scope?: CallScope): Promise<WaitingOn>;
  cancelRun(runId: string, scope?: CallScope & { reason?: string }): Promise<RunRecord>;
  pauseRun(runId: string, scope?: CallScope): Promise<RunRecord>;
  resumeRun(runId: string, scope?: CallScope): Promise<RunRecord>;
  /** Resumes a step suspended with `ctx.suspend`; the handler is called again with `data`. */
  resumeStep(runId: string, stepId: string, data: unknown, scope?: CallScope): Promise<RunRecord>;
  /**
   * Delivers `data` to a waiting step in one commit: the step type's `onSignal` hook decides
   * there (finish the step with outputs, run the handler again, fail it, or keep waiting);
   * a type without the hook runs its handler again with `ctx.resume = data`. This is how
   * something outside the run (a ticket system, a child run, a webhook) answers a step.
   * Audited as `step.signalled`.
   * @throws LlmteamError `LLMT_E_RUN_STATE` when the step is not waiting.
   */
  signal(runId: string, stepId: string, data: unknown, scope?: CallScope): Promise<RunRecord>;

  /** Takes a snapshot by hand (`manual`, or a labelled `checkpoint`); audited. */
  createSnapshot(runId: string, options?: CreateSnapshotOptions): Promise<SnapshotRecord>;
  /**
   * A tenant's snapshots by run, segment or reason, newest first, in pages.
   * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` for a bad limit or cursor.
   */
  querySnapshots(query?: SnapshotListQuery): Promise<Page<SnapshotRecord>>;
  /** The newest snapshot of a run, a segment or the tenant (with `reason`, of that reason). */
  latestSnapshot(query?: Omit<SnapshotListQuery, 'limit' | 'after'>): Promise<SnapshotRecord | undefined>;
  /**
   * Deletes a snapshot, audited as `snapshot.deleted` in the same transaction; returns it.
   * @throws LlmteamError `LLMT_E_SNAPSHOT_NOT_FOUND`
   */
  deleteSnapshot(snapshotId: string, scope?: CallScope): Promise<SnapshotRecord>;
  /** Puts a run back to a snapshot's state (checksum verified) and continues it. */
  restoreSnapshot(snapshotId: string, scope?: CallScope): Promise<RunRecord>;
  /** Starts a new run from a snapshot's state (checksum verified). */
  forkRun(snapshotId: string, scope?: CallScope): Promise<RunRecord>;
  /**
   * Opens the sealed values of a run's input (or of one step's outputs, `stepId`) and
   * audits it as `run.unsealed` in the same commit. Who may call it is the host's decision
   * (the gateway requires the `UNSEALER` role).
   */
  unseal(runId: string, options?: UnsealOptions & CallScope): Promise<UnsealResult>;

  /** Replays stored events after `afterSeq`, then follows live ones: no gap, no duplicate. */
  events(runId: string, options?: EventsOptions): AsyncIterableIterator<WorktrailEvent>;
  /** Live events of a tenant (all tenants when `tenantId` is `*`). */
  onEvent(
    listener: (event: WorktrailEvent) => void,
    filter?: { tenantId?: string; types?: string[] },
  ): () => void;

  respond(interactionId: string, options: RespondOptions): Promise<InteractionRecord>;
  listInteractions(query?: ListInteractionsQuery): Promise<InteractionRecord[]>;

  /** The tenant's audit entries in chain order: all of them, or a page (`afterSeq`, `limit`). */
  listAudit(scope?: CallScope & AuditListQuery): Promise<AuditRecord[]>;
  /**
   * Recomputes the tenant's audit chain and checks it against its newest signed
   * checkpoint (or `checkpoint`): names the first broken entry or the missing tail.
   */
  verifyAudit(scope?: CallScope & AuditVerifyOptions): Promise<AuditVerification>;
  /**
   * The tenant's compliance report over `[from, to]` (ISO 8601, inclusive): events by type,
   * audit entries by actor, approvals with response times, SLA breaches, escalations, tool
   * approvals, action calls, token usage and one record-keeping entry per run.
   */
  complianceReport(query: CallScope & { from: string; to: string }): Promise<ComplianceReport>;
  /** Removes a run and all derived data, keeping only the audit entry of the erasure. */
  eraseRun(runId: string, scope?: CallScope): Promise<void>;
  /** Token usage of a run's model calls, in all and per step, with cost estimates from `tokens.prices`. */
  tokenUsage(
    runId: string,
    scope?: CallScope,
  ): Promise<{ total: TokenTotals; steps: Map<string, TokenTotals> }>;
  /** Token usage of a tenant's model calls between two times (ISO 8601), with a cost estimate. */
  tenantTokenUsage(range: { from?: string; to?: string }, scope?: CallScope): Promise<TokenTotals>;

  /**
   * The engine seen from one tenant, acting as `actor`: reads and commands that check the
   * tenant once, so callers (gateway resolvers, CLI) never reach the store.
   * @default actor `{ subject: "system" }`
   */
  forTenant(tenantId: string, actor?: Actor): TenantEngine;
  /** Tenants: create, update, suspend, resume, delete with data, limits and usage. */
  readonly tenants: TenantManager;
  /** HTTP routes plugins registered (`api.registerRoute`), for a server to mount; filled by `start()`. */
  readonly routes: readonly HttpRoute[];
}

/** Which audit entries `Engine.listAudit` returns. */
export interface AuditListQuery {
  /** Entries at or after this time (ISO 8601). */
  from?: string;
  /** Entries at or before this time (ISO 8601). */
  to?: string;
  /** Entries after this seq (a page read without the whole log). @default 0 */
  afterSeq?: number;
  /** At most this many entries; with `afterSeq`, a page. @default all (1,000 when `afterSeq` is given) */
  limit?: number;
}
