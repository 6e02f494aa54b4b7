/** Snapshots, audit entries and the one atomic commit of a run transition. */
import type { InteractionRecord, TimerRecord } from './interaction-records.js';
import type { RunRecord, RunStatus, StepStateRecord, WorktrailEvent } from './run-records.js';

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
  /**
   * How `hash` was computed (see `auditEntryHash`): 2 and 3 cover every field (3 in the
   * form a store keeps it); absent for entries of format 1, written before every field
   * was hashed.
   */
  hashFormat?: number;
}

/**
 * An audit entry as a store keeps it (`Store.listAuditRows`): the columns it is found by
 * and its body text, byte for byte. For entries of hash format 3 the hash covers exactly
 * these (see `auditEntryMessage`), so a log verifies from its rows without decoding them;
 * `auditRecordFromRow` decodes one.
 */
export interface AuditRow {
  seq: number;
  timestamp: string;
  hash: string;
  /** The entry's other fields as JSON text: `auditEntryBody` for format 3. */
  body: string;
}

/** A page of a tenant's audit log (`Store.listAuditRows`): entries after `afterSeq`, in seq order. */
export interface AuditPageQuery {
  /** Entries with a larger seq than this. @default 0 */
  afterSeq?: number;
  /** At most this many entries (a whole number from 1). */
  limit: number;
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
  /**
   * Takes, renews or gives back the run's lease in the same transaction, so a worker needs
   * no lease call of its own. Honoured only by a store whose capabilities say
   * `commitLease: true`; the engine calls `acquireLease`/`releaseLease` on other stores.
   * @throws LeaseHeldError (`LLMT_E_LEASE_HELD`) when another owner holds a live lease:
   *   nothing of the commit is written.
   */
  lease?: CommitLease;
  /**
   * Limits the commit must stay within, counted in the commit's tenant inside the same
   * transaction (a store whose capabilities say `commitAdmission: true`; the engine counts
   * before the commit on others). Only on the commit that creates a run.
   * @throws LimitExceededError (`LLMT_E_LIMIT_EXCEEDED`) when a count is already at its
   *   `max`: nothing of the commit is written.
   */
  admit?: CommitAdmission[];
}

/** One limit a commit is admitted under (see {@link Commit.admit}). */
export interface CommitAdmission {
  /** What is counted in the tenant: runs, or open interactions (`OPEN_INTERACTION_STATUSES`). */
  count: 'runs' | 'open_interactions';
  /** `runs` only: the statuses counted. @default every status */
  statuses?: RunStatus[];
  /** `runs` only: only runs created at or after this time (ISO 8601). */
  createdSince?: string;
  /** Refused when the count (without this commit) is already this or more. */
  max: number;
  /** The limit's name, e.g. `concurrent_runs`, for the refusal. */
  limit: string;
  /** The tenant's tier, for the refusal. */
  tier: string;
}

/** The lease a commit takes or gives back (see {@link Commit.lease}). */
export interface CommitLease {
  /** Identity of the committing engine. */
  owner: string;
  /** Current time as the engine sees it (ISO 8601): another owner's lease ending later is live. */
  now: string;
  /** How long the lease lasts from `now`, in ms; 0 gives it back, so no one holds it after the commit. */
  leaseMs: number;
}

/** Result of a successful commit. */
export interface CommitResult {
  /** Audit records as chained by the store, in commit order. */
  audit: AuditRecord[];
}
