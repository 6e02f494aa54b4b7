import type { AuditCheckpointStore } from '../audit/checkpoint-store.js';
/** The Store interface by role: run journal, work queue, event bus and registry. */
import type { AgentMemoryStore } from '../memory/memory-types.js';
import type {
  AuditDraft,
  AuditPageQuery,
  AuditRecord,
  AuditRow,
  Commit,
  CommitResult,
  SnapshotReason,
  SnapshotRecord,
} from './commit-types.js';
import type { EventQuery } from './event-query-types.js';
import type { InteractionRecord, InteractionStatus, TimerRecord } from './interaction-records.js';
import type { ApiKeyRecord, SegmentRecord, TenantRecord } from './registry-records.js';
import type { RetentionSweepOptions, RetentionSweepResult } from './retention-types.js';
import type { RunRecord, RunStatus, StepStateRecord, WorktrailEvent } from './run-records.js';

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
  /**
   * `created`: creation order. `due`: open requests only (a `status` filter narrows them),
   * earliest SLA breach first (else deadline; requests with neither last), then creation
   * order, as `interactionDueKey` sorts; stores answer a first page from an index.
   * @default 'created'
   */
  order?: 'created' | 'due';
  /** At most this many. @default unlimited */
  limit?: number;
  /** `order: 'due'` only: the page after this `interactionDueKey` (the last one of the previous page). */
  after?: string;
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
  /**
   * `commit` applies `Commit.lease` in its own transaction (see `CommitLease`). Without it
   * the engine takes and gives back leases with `acquireLease` and `releaseLease`.
   * @default false
   */
  commitLease?: boolean;
  /**
   * `commit` checks `Commit.admit` inside its own transaction, so limits hold across
   * processes sharing the store. Without it the engine counts before the commit.
   * @default false
   */
  commitAdmission?: boolean;
}

/** Which run {@link RunJournal.readRunState} reads: by its id, or the run of an interaction. */
export type RunStateQuery =
  | { runId: string; interactionId?: undefined }
  | { interactionId: string; runId?: undefined };

/** What the engine needs to act on a run, read at once (see {@link RunJournal.readRunState}). */
export interface RunState {
  run: RunRecord;
  steps: StepStateRecord[];
  /**
   * The run's open interactions (`OPEN_INTERACTION_STATUSES`), plus the one a query by
   * interaction names, whatever its status.
   */
  interactions: InteractionRecord[];
  /** The run's lease as stored (it may have expired: compare `until` with now). */
  lease?: { owner: string; until: string };
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
  /** Why, as the person gave it (a tenant's suspension or deletion); kept in the audit entry. */
  reason?: string;
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
  /**
   * Optional: a run, its steps, its open interactions and its lease in one read (one
   * transaction or statement), by run id or by one of its interactions; undefined when
   * there is no such run (or interaction). `readRunState(store, ...)` builds the same from
   * the other reads for a store without it.
   */
  readRunState?(tenantId: string, query: RunStateQuery): Promise<RunState | undefined>;
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
   * Optional: one page of a tenant's audit log as stored (`AuditRow`), in seq order after
   * `afterSeq`, at most `limit` entries. Verification, checkpoints and proofs read a log
   * page by page through it, so memory stays flat however long the log; `auditRowPages`
   * (core) falls back to `listAudit` for a store without it.
   */
  listAuditRows?(tenantId: string, page: AuditPageQuery): Promise<AuditRow[]>;

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
export interface Store extends StoreLifecycle, RunJournal, WorkQueue, EventBus, Registry {
  /**
   * Optional role: agent memory entries (see `AgentMemory`). A store without it serves no
   * `engine.memory`; `@llmteam/testkit`'s `agentMemorySuite` checks one that has it.
   */
  readonly memory?: AgentMemoryStore;
  /**
   * Optional role: signed audit checkpoints (see `AuditCheckpointStore`); without it
   * checkpoints go only to the external anchors.
   */
  readonly auditCheckpoints?: AuditCheckpointStore;
  /**
   * Optional role: applies every tenant's retention policy (`TenantRecord.retention`),
   * deleting terminal runs and snapshots past it, each tenant's deletions with a
   * `retention.swept` audit entry. A running engine calls it on a schedule
   * (`EngineOptions.retention.sweepEvery`); a store without it keeps everything.
   */
  sweepRetention?(options: RetentionSweepOptions): Promise<RetentionSweepResult>;
}

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
