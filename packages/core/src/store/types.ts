/**
 * Records a {@link Store} keeps, and the Store interface itself.
 *
 * The engine never writes piecemeal: every run transition is one {@link Commit}, applied
 * atomically by {@link RunJournal.commit}. The Store is four roles: the run journal
 * (commits and their reads), the work queue (claims, leases, timers), the event bus
 * (`subscribe`) and the registry (tenants, API keys, segments, each write audited).
 *
 * Records are plain JSON-compatible objects. A store may keep references to the objects
 * it is given (the engine never mutates a record after handing it over) but must return
 * records that the caller may not mutate either.
 */
import type { RunTrace } from '../telemetry/run-trace.js';
import type { EventQuery } from './event-query-types.js';

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
  /**
   * The trace the run belongs to (set at creation): its spans, and the steps after a
   * restart, join it. Absent on runs created before tracing; they get a derived one.
   */
  trace?: RunTrace;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
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

/** Interaction statuses (ARCHITECTURE section 5). */
export type InteractionStatus =
  | 'pending'
  | 'notified'
  | 'in_progress'
  | 'completed'
  | 'rejected'
  | 'timeout'
  | 'cancelled'
  | 'escalated';

/** Statuses of a request someone still has to answer. */
export const OPEN_INTERACTION_STATUSES: readonly InteractionStatus[] = [
  'pending',
  'notified',
  'in_progress',
  'escalated',
];

/** Statuses of a request that takes no answer any more. */
export const CLOSED_INTERACTION_STATUSES: ReadonlySet<InteractionStatus> = new Set([
  'completed',
  'rejected',
  'timeout',
  'cancelled',
]);

/** Interaction types (ARCHITECTURE section 5). */
export type InteractionType = 'approval' | 'choice' | 'input' | 'review' | 'task' | 'chat';
/** Priorities of an interaction; channels may take only some of them. */
export type InteractionPriority = 'low' | 'normal' | 'high' | 'critical';

/** One answer given to an interaction. */
export interface InteractionResponse {
  /** `approve`, `reject`, `request_changes`, `respond`, `message`, `close`, `timeout`, ... */
  action: string;
  subject: string;
  value?: unknown;
  comment?: string;
  at: string;
}

/** A request for a person, created and updated inside run commits. */
export interface InteractionRecord {
  interactionId: string;
  tenantId: string;
  runId: string;
  stepId: string;
  type: InteractionType;
  status: InteractionStatus;
  priority: InteractionPriority;
  title: string;
  description?: string;
  /** Users and groups that may answer (empty: any approver of the tenant). */
  assignees: { users: string[]; groups: string[] };
  options?: unknown[];
  inputSchema?: unknown;
  /** Current escalation level (0: the original assignees). */
  escalationLevel: number;
  revision: number;
  parentId?: string;
  previousFeedback?: string;
  responses: InteractionResponse[];
  /** The answer that closed the request, if closed. */
  outcome?: InteractionResponse;
  deadline?: string;
  slaWarningAt?: string;
  slaBreachAt?: string;
  /** Free-form settings the human manager keeps (quorum, escalation chain, on_timeout, ...). */
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** A durable timer. Due timers are claimed by one engine and fired once. */
export interface TimerRecord {
  timerId: string;
  tenantId: string;
  runId: string;
  stepId?: string;
  /** What fires: `retry`, `interaction.timeout`, `interaction.sla_warning`, ... */
  kind: string;
  dueAt: string;
  payload?: Record<string, unknown>;
}

/**
 * Why a snapshot was taken: `manual` and `checkpoint` by a caller (a checkpoint is a
 * restore point meant to be kept: retention sweeps leave it), the others by the engine
 * (`auto` every N steps, on `pause`, on `error`, before a `fork`).
 */
export type SnapshotReason = 'manual' | 'checkpoint' | 'auto' | 'pause' | 'error' | 'fork';

/** The state a snapshot captures: the run header and every step. */
export interface SnapshotState {
  run: RunRecord;
  steps: StepStateRecord[];
}

/** An immutable, checksummed copy of a run's state. */
export interface SnapshotRecord {
  snapshotId: string;
  tenantId: string;
  runId: string;
  /**
   * The run's segment. Absent on records written before it was kept: read
   * `state.run.segmentId` then.
   */
  segmentId?: string;
  /** The run's `lastSeq` when the snapshot was taken. */
  seq: number;
  reason: SnapshotReason;
  /** A caller-chosen name (`before-migration`), 1 to 200 characters. */
  label?: string;
  createdAt: string;
  state: SnapshotState;
  /** Hex SHA-256 over the canonical JSON of `state`. */
  checksum: string;
}

/** An audit entry as the engine drafts it; the store chains it. */
export interface AuditDraft {
  tenantId: string;
  action: string;
  /** Who acted: a subject (user or service) or `system`. */
  actor: string;
  runId?: string;
  target?: string;
  data?: Record<string, unknown>;
  timestamp: string;
}

/** An audit entry in a tenant's append-only SHA-256 hash chain. */
export interface AuditRecord extends AuditDraft {
  /** Gapless per tenant, starting at 1. */
  seq: number;
  prevHash: string;
  hash: string;
}

/** One atomic write: everything a run transition changes. */
export interface Commit {
  tenantId: string;
  runId: string;
  /** Version the run must have now; 0 creates the run (it must not exist). */
  expectedVersion: number;
  /** The run's new header; `version` is `expectedVersion + 1`. */
  run: RunRecord;
  /** Step states to insert or replace. */
  steps?: StepStateRecord[];
  /** Events to append; their `seq` continue the run's `lastSeq` without gap. */
  events?: WorktrailEvent[];
  /** Interactions to insert or replace. */
  interactions?: InteractionRecord[];
  timers?: {
    add?: TimerRecord[];
    /** Timers to delete if they still exist. */
    remove?: string[];
    /**
     * Timers this commit fires: each must still exist, or the whole commit fails with a
     * conflict. This is what makes a timer fire once when two engines race for it.
     */
    consume?: string[];
  };
  snapshots?: SnapshotRecord[];
  audit?: AuditDraft[];
}

/** Result of a successful commit. */
export interface CommitResult {
  /** Audit records as chained by the store, in commit order. */
  audit: AuditRecord[];
}

/** Service tiers of a tenant. */
export type TenantTier = 'free' | 'standard' | 'enterprise';

/** A tenant: the unit of isolation; every row and event carries its id. */
export interface TenantRecord {
  tenantId: string;
  name: string;
  tier: TenantTier;
  limits: Record<string, number>;
  dataRegion?: string;
  /** Retention policy in seconds; absent keeps forever. */
  retention?: { completedRunsSeconds?: number; snapshotsSeconds?: number };
  createdAt: string;
  /** When set, the tenant's keys are refused (HTTP and live graphql-ws sessions). */
  suspendedAt?: string;
}

/** Roles an API key carries (ARCHITECTURE section 8). */
export type Role = 'admin' | 'operator' | 'approver' | 'viewer';

/** An API key as the registry stores it: tenant, roles, subject and groups, with only a hash of its secret. */
export interface ApiKeyRecord {
  keyId: string;
  tenantId: string;
  /** Hex SHA-256 of the secret; the secret itself is never stored. */
  secretHash: string;
  roles: Role[];
  name?: string;
  subject: string;
  groups: string[];
  createdAt: string;
  revokedAt?: string;
  /** The key is refused from this time on (ISO); absent: it does not expire. */
  expiresAt?: string;
}

/** One stored version of a segment definition. */
export interface SegmentRecord {
  tenantId: string;
  segmentId: string;
  version: string;
  name: string;
  definition: unknown;
  createdAt: string;
}

/** A page of results with an opaque cursor for the next one. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** Options of `Store.listRuns`: filters and a cursor over a tenant's runs. */
export interface ListRunsOptions {
  status?: RunStatus;
  segmentId?: string;
  /** @default 50 */
  limit?: number;
  /** Cursor from a previous page. */
  after?: string;
}

/** Which snapshots {@link RunJournal.querySnapshots} returns, newest first. */
export interface SnapshotQuery {
  /** Only this run's. */
  runId?: string;
  /** Only snapshots of runs of this segment. */
  segmentId?: string;
  /** Only of this reason. */
  reason?: SnapshotReason;
  /** 1 to 500. @default 50 */
  limit?: number;
  /** Cursor from a previous page (`nextCursor`). */
  after?: string;
}

/** Options of `Store.listInteractions`: filters over a tenant's interactions. */
export interface ListInteractionsOptions {
  status?: InteractionStatus | InteractionStatus[];
  runId?: string;
}

/** Options of `Store.listEvents`: a page of one run's events after a `seq`. */
export interface ListEventsOptions {
  /** Only events with `seq > afterSeq`. @default 0 */
  afterSeq?: number;
  /** @default unlimited */
  limit?: number;
}

/** A run claimed by one worker for a while. */
export interface LeaseOptions {
  /** Identity of the claiming engine. */
  owner: string;
  /** How long the claim lasts without renewal, in milliseconds. */
  leaseMs: number;
  /** Current time as the engine sees it (ISO 8601), so tests control expiry. */
  now: string;
}

/** Optional features a store declares; suites and the engine skip by capability. */
export interface StoreCapabilities {
  /** Several processes may share the store (leases are enforced across processes). */
  multiProcess: boolean;
  /** `subscribe` delivers events committed by other processes too. */
  crossProcessEvents: boolean;
  /** Data outlives the process. */
  durable: boolean;
}

/** Listener for committed events. */
export type EventListener = (events: WorktrailEvent[]) => void;

/**
 * Who made a registry change and when. The store appends the change's audit entry
 * (`tenant.created`, `api_key.revoked`, `segment.upserted`, ...) in the same transaction
 * as the write; see {@link draftRegistryAudit}.
 */
export interface RegistryChange {
  /** Who acted: a subject (user or service). @default 'system' */
  actor?: string;
  /** When (ISO 8601). @default the record's own time (`createdAt`, `revokedAt`), else now */
  timestamp?: string;
}

/** What every store part has: a name, capabilities, and a lifecycle. */
export interface StoreLifecycle {
  /** A short name used in errors and logs, e.g. `memory`, `sqlite:./.llmteam/db.sqlite`. */
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  /** Prepares the store (connects, migrates). Idempotent. */
  init(): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

/**
 * The run journal: one atomic commit per run transition, and the reads of what was
 * committed (runs, steps, events, interactions, timers, snapshots, the audit chain).
 */
export interface RunJournal {
  /**
   * Applies one run transition atomically, or nothing at all. Check it with
   * {@link checkCommit} before writing.
   * @throws ConcurrencyError (`LLMT_E_CONFLICT`) when the run's version is not
   *   `expectedVersion`, a run with `expectedVersion: 0` exists, a consumed timer is gone,
   *   or the idempotency key is taken by another run.
   */
  commit(commit: Commit): Promise<CommitResult>;

  getRun(tenantId: string, runId: string): Promise<RunRecord | undefined>;
  /** Run that was started with this idempotency key, if any. */
  findRunByIdempotencyKey(tenantId: string, key: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  listRuns(tenantId: string, options?: ListRunsOptions): Promise<Page<RunRecord>>;
  getSteps(tenantId: string, runId: string): Promise<StepStateRecord[]>;
  listEvents(tenantId: string, runId: string, options?: ListEventsOptions): Promise<WorktrailEvent[]>;
  /**
   * Optional: a tenant's events across runs, filtered and paged in (timestamp, run id,
   * seq) order; see `EventQuery`. Stores that hold many events implement it with indexes;
   * `queryEvents(store, ...)` falls back to a scan for a store without it.
   * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` for a bad limit, time or cursor.
   */
  queryEvents?(tenantId: string, query: EventQuery): Promise<Page<WorktrailEvent>>;
  getInteraction(tenantId: string, interactionId: string): Promise<InteractionRecord | undefined>;
  listInteractions(tenantId: string, options?: ListInteractionsOptions): Promise<InteractionRecord[]>;
  listTimers(tenantId: string, runId: string): Promise<TimerRecord[]>;
  getSnapshot(tenantId: string, snapshotId: string): Promise<SnapshotRecord | undefined>;
  listSnapshots(tenantId: string, runId: string): Promise<SnapshotRecord[]>;
  /**
   * A tenant's snapshots, filtered and paged newest first (by `createdAt`, then
   * `snapshotId`, both descending); cursors come from `encodeSnapshotCursor`. Check the
   * query with `checkSnapshotQuery` first.
   * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` for a bad limit or cursor.
   */
  querySnapshots(tenantId: string, query: SnapshotQuery): Promise<Page<SnapshotRecord>>;
  /**
   * Deletes one snapshot and appends `audit` (the record of the deletion) in the same
   * transaction; false (and no audit entry) when there is no such snapshot.
   */
  deleteSnapshot(tenantId: string, snapshotId: string, audit: AuditDraft): Promise<boolean>;
  /** Audit entries in chain order, optionally within a time range (inclusive). */
  listAudit(tenantId: string, range?: { from?: string; to?: string }): Promise<AuditRecord[]>;

  /**
   * Removes a run and everything derived from it (steps, events, interactions, timers,
   * snapshots), appending `audit` (the record of the erasure) in the same transaction.
   */
  eraseRun(tenantId: string, runId: string, audit: AuditDraft): Promise<void>;
}

/**
 * The work queue: due timers and runs to advance, handed out under leases so that one
 * worker at a time acts on each. Leases are timing hints; commits stay version-checked.
 */
export interface WorkQueue {
  /**
   * Claims up to `limit` timers due at `now` that no live lease holds, for `leaseMs`.
   * Across all tenants: timers are the engine's own work queue.
   */
  claimDueTimers(options: LeaseOptions & { limit: number }): Promise<TimerRecord[]>;
  /** Earliest `dueAt` of all timers, to arm the next wake-up. */
  nextTimerDue(): Promise<string | undefined>;

  /**
   * Claims runs in `pending` or `running` status whose lease is free or expired (crash
   * recovery, multi-node). Returns the claimed runs' ids.
   */
  claimRuns(options: LeaseOptions & { limit: number }): Promise<Array<{ tenantId: string; runId: string }>>;
  /** Takes or renews the lease on one run; false if another owner holds a live lease. */
  acquireLease(tenantId: string, runId: string, options: LeaseOptions): Promise<boolean>;
  releaseLease(tenantId: string, runId: string, owner: string): Promise<void>;
}

/** The event bus: committed events, delivered once each and in `seq` order per run. */
export interface EventBus {
  /** Delivers events after they are committed (by this process, and by others if `crossProcessEvents`). */
  subscribe(listener: EventListener): () => void;
}

/**
 * The registry: tenants, API keys and segment versions. Every write appends its audit
 * entry to the tenant's chain in the same transaction (see {@link draftRegistryAudit}).
 */
export interface Registry {
  putTenant(tenant: TenantRecord, change?: RegistryChange): Promise<void>;
  getTenant(tenantId: string): Promise<TenantRecord | undefined>;
  listTenants(): Promise<TenantRecord[]>;
  putApiKey(key: ApiKeyRecord, change?: RegistryChange): Promise<void>;
  findApiKeyByHash(secretHash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]>;
  /** Stores a segment version; the same (tenant, id, version) again replaces it. */
  putSegment(segment: SegmentRecord, change?: RegistryChange): Promise<void>;
  /** Latest version when `version` is omitted. */
  getSegment(tenantId: string, segmentId: string, version?: string): Promise<SegmentRecord | undefined>;
  /** Latest version of each segment. */
  listSegments(tenantId: string): Promise<SegmentRecord[]>;
}

/**
 * Where every run, event, interaction, timer, snapshot and audit entry lives: a
 * {@link RunJournal}, a {@link WorkQueue}, an {@link EventBus} and a {@link Registry}.
 * Implementations: `MemoryStore` here; SQLite and Postgres in their plugins; parts of a
 * store (an event bus, a snapshot cache) combine with one through `composeStore`.
 * A third-party store proves itself with `@llmteam/testkit`'s store conformance suites.
 */
export interface Store extends StoreLifecycle, RunJournal, WorkQueue, EventBus, Registry {}

/**
 * An event bus that a composed store feeds (see `composeStore`): it hands each commit's
 * events to this process's subscribers and to other processes', once each and in `seq`
 * order per run.
 */
export interface EventTransport extends EventBus {
  /** Shown in the composed store's name, e.g. `redis:127.0.0.1:6379`. */
  readonly name: string;
  /** Delivers events committed by other processes too. */
  readonly crossProcess: boolean;
  /** Connects. `journal` reads back events a subscriber missed (a gap in `seq`). */
  init(journal: RunJournal): Promise<void>;
  close(): Promise<void>;
  /**
   * Hands on the events of a commit that succeeded. Never rejects for a transport failure:
   * the commit already happened; subscribers that miss events catch up with `afterSeq`.
   */
  publish(events: WorktrailEvent[]): Promise<void>;
}

/** A cache of snapshots in front of a store's journal (see `composeStore`). */
export interface SnapshotCache {
  /** Shown in the composed store's name. */
  readonly name: string;
  init(): Promise<void>;
  close(): Promise<void>;
  /** The cached snapshot, or undefined on a miss. */
  get(tenantId: string, snapshotId: string): Promise<SnapshotRecord | undefined>;
  put(snapshots: readonly SnapshotRecord[]): Promise<void>;
  /** Drops cached copies (erasure); rejects when they may still be there. */
  delete(tenantId: string, snapshotIds: readonly string[]): Promise<void>;
}

/** Method names of each role, for code that combines roles (`composeStore`). */
export const STORE_ROLE_METHODS = {
  journal: [
    'commit',
    'getRun',
    'findRunByIdempotencyKey',
    'listRuns',
    'getSteps',
    'listEvents',
    'getInteraction',
    'listInteractions',
    'listTimers',
    'getSnapshot',
    'listSnapshots',
    'querySnapshots',
    'deleteSnapshot',
    'listAudit',
    'eraseRun',
  ],
  queue: ['claimDueTimers', 'nextTimerDue', 'claimRuns', 'acquireLease', 'releaseLease'],
  bus: ['subscribe'],
  registry: [
    'putTenant',
    'getTenant',
    'listTenants',
    'putApiKey',
    'findApiKeyByHash',
    'listApiKeys',
    'putSegment',
    'getSegment',
    'listSegments',
  ],
} as const satisfies {
  /** Required methods only: `composeStore` forwards optional ones (`queryEvents`) when present. */
  journal: ReadonlyArray<keyof RunJournal>;
  queue: ReadonlyArray<keyof WorkQueue>;
  bus: ReadonlyArray<keyof EventBus>;
  registry: ReadonlyArray<keyof Registry>;
};
