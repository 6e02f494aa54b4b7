import {
  type AuditDraft,
  type Commit,
  ConcurrencyError,
  checkCommit,
  type InteractionRecord,
  interactionDueKey,
  LeaseHeldError,
  OPEN_INTERACTION_STATUSES,
  type StepStateRecord,
} from '@llmteam/core';
import { encodeValue } from './shared-values.js';
import { encodePorts, runExtra } from './sql-codecs.js';
import { describeViolation, isUniqueViolation, type SqlExecutor } from './sql-executor.js';
import { ROW_STATEMENTS, RUN_VERSION_SQL } from './sql-text.js';

/**
 * The run header of a commit: the 15 `INSERT INTO runs` values of a new run, or the 10
 * `SET` values, tenant, run, expected version and expected last seq of an update.
 */
export type RunHeader = { kind: 'insert'; params: unknown[] } | { kind: 'update'; params: unknown[] };

/** Rows for one table: `head` up to `VALUES`, the value tuples, and an `ON CONFLICT` tail. */
export interface RowPart {
  table: keyof typeof ROW_STATEMENTS;
  head: string;
  rows: unknown[][];
  tail: string;
}

/**
 * A commit, checked and encoded into rows before any connection is taken, so a
 * transaction holds locks only for I/O. A dialect executes it (`SqlStore.executeCommit`).
 */
export interface CommitPlan {
  commit: Commit;
  header: RunHeader;
  /** Rows besides the header, table by table, in write order. */
  parts: RowPart[];
  /** Timers the commit fires: each must still exist. */
  consume: string[];
  /** Timers to delete if they exist. */
  remove: string[];
  audit: AuditDraft[];
  /** The run's `lastSeq` before this commit. */
  prevSeq: number;
  /** Hashes of every shared value the commit refers to, written by it or held by the run already. */
  valueHashes: string[];
  /**
   * The lease the commit takes (`until` in ms) or gives back (`until` null), checked
   * against another owner's live lease at `now` (ms).
   */
  lease?: { owner: string; until: number | null; now: number };
}

/**
 * Step fields kept in `data`: everything but what has a column of its own (key, status,
 * inputs, outputs), so a step row carries each once.
 */
type StepRest = Omit<StepStateRecord, 'tenantId' | 'runId' | 'stepId' | 'status' | 'inputs' | 'outputs'>;

/**
 * Checks a commit with core's `checkCommit` and encodes it into a plan. Shared values in
 * `stored` (those the run is known to hold) are referred to but not written again.
 */
export function planCommit(commit: Commit, stored?: ReadonlySet<string>): CommitPlan {
  const { tenantId, runId, run } = commit;
  const { prevSeq } = checkCommit(commit);
  const values = new Map<string, string>();
  const outputs = encodePorts(run.outputs, values);
  const steps = (commit.steps ?? []).map((s) => {
    const { tenantId: _t, runId: _r, stepId: _s, status: _st, inputs, outputs: stepOutputs, ...rest } = s;
    return [
      tenantId,
      runId,
      s.stepId,
      s.status,
      encodeValue(rest satisfies StepRest, values),
      encodePorts(inputs, values),
      encodePorts(stepOutputs, values),
    ];
  });
  const header: RunHeader =
    commit.expectedVersion === 0
      ? {
          kind: 'insert',
          params: [
            tenantId,
            runId,
            run.segmentId,
            run.segmentVersion,
            run.status,
            run.version,
            run.lastSeq,
            run.stepsCompleted,
            run.idempotencyKey ?? null,
            run.createdAt,
            run.updatedAt,
            run.completedAt ?? null,
            run.input === undefined ? null : encodeValue(run.input, values),
            outputs,
            runExtra(run),
          ],
        }
      : {
          kind: 'update',
          params: [
            run.segmentId,
            run.segmentVersion,
            run.status,
            run.version,
            run.lastSeq,
            run.stepsCompleted,
            run.updatedAt,
            run.completedAt ?? null,
            outputs,
            runExtra(run),
            tenantId,
            runId,
            commit.expectedVersion,
            prevSeq,
          ],
        };
  return {
    commit,
    header,
    parts: commitRows(commit, values, steps, stored),
    consume: [...new Set(commit.timers?.consume ?? [])],
    remove: commit.timers?.remove ?? [],
    audit: commit.audit ?? [],
    prevSeq,
    valueHashes: [...values.keys()],
    lease: commit.lease ? planLease(commit.lease) : undefined,
  };
}

function planLease(lease: NonNullable<Commit['lease']>): NonNullable<CommitPlan['lease']> {
  const now = Date.parse(lease.now);
  return { owner: lease.owner, until: lease.leaseMs > 0 ? now + lease.leaseMs : null, now };
}

/** The values of `LEASE_SQL.commit` for a plan's lease. */
export function leaseParams(plan: CommitPlan): unknown[] {
  const { lease, commit } = plan;
  if (!lease) return [];
  const taken = lease.until !== null;
  return [taken ? lease.owner : null, lease.until, commit.tenantId, commit.runId, lease.owner, lease.now];
}

/** The rows a commit writes besides its header, table by table. */
function commitRows(
  commit: Commit,
  values: Map<string, string>,
  steps: unknown[][],
  stored: ReadonlySet<string> | undefined,
): RowPart[] {
  const { tenantId, runId } = commit;
  const parts: RowPart[] = [];
  const part = (table: RowPart['table'], rows: unknown[][]) => {
    if (rows.length)
      parts.push({ table, head: ROW_STATEMENTS[table].head, rows, tail: ROW_STATEMENTS[table].tail });
  };
  part(
    'timers',
    (commit.timers?.add ?? []).map((t) => [
      t.tenantId,
      t.timerId,
      t.runId,
      Date.parse(t.dueAt),
      JSON.stringify(t),
    ]),
  );
  part(
    'run_values',
    [...values].flatMap(([hash, body]) => (stored?.has(hash) ? [] : [[tenantId, runId, hash, body]])),
  );
  part('step_states', steps);
  part(
    'events',
    (commit.events ?? []).map((e) => [
      tenantId,
      runId,
      e.seq,
      storedEventId(runId, e),
      e.type,
      e.step_id ?? null,
      e.timestamp,
      JSON.stringify(e.data ?? {}),
    ]),
  );
  part(
    'interactions',
    (commit.interactions ?? []).map((i) => [
      i.tenantId,
      i.interactionId,
      i.runId,
      i.status,
      i.createdAt,
      interactionBody(i),
      OPEN_INTERACTION_STATUSES.includes(i.status) ? interactionDueKey(i) : null,
    ]),
  );
  part(
    'snapshots',
    (commit.snapshots ?? []).map((s) => [
      s.tenantId,
      s.snapshotId,
      s.runId,
      s.seq,
      s.reason,
      s.createdAt,
      s.checksum,
      JSON.stringify(s.state),
      s.segmentId ?? s.state.run.segmentId,
      s.label ?? null,
    ]),
  );
  return parts;
}

/**
 * The `event_id` column of an event: empty when the id is the engine's `<runId>.<seq>`,
 * which a read derives again ({@link eventId}), so the row does not carry the run id twice.
 */
function storedEventId(runId: string, e: { event_id: string; seq: number }): string {
  return e.event_id === `${runId}.${e.seq}` ? '' : e.event_id;
}

/** An interaction's `body` column: the record less what has a column of its own. */
function interactionBody(i: InteractionRecord): string {
  const { interactionId: _i, tenantId: _t, runId: _r, status: _s, createdAt: _c, ...rest } = i;
  return JSON.stringify(rest);
}

/** The conflict error of a plan whose run was not at the expected version, read from `q`. */
export async function explainConflict(
  q: SqlExecutor,
  plan: CommitPlan,
): Promise<ConcurrencyError | LeaseHeldError> {
  const { tenantId, runId, expectedVersion } = plan.commit;
  const { rows } = await q.exec(RUN_VERSION_SQL, [tenantId, runId]);
  const found = rows[0];
  // At the expected version, only the lease can have refused the commit.
  if (
    found &&
    plan.lease &&
    Number(found.version) === expectedVersion &&
    Number(found.last_seq) === plan.prevSeq &&
    found.lease_owner != null &&
    found.lease_owner !== plan.lease.owner &&
    Number(found.lease_until) > plan.lease.now
  )
    return leaseHeldError(plan, String(found.lease_owner), Number(found.lease_until));
  return new ConcurrencyError(
    found
      ? `run ${runId} is at version ${found.version} (last seq ${found.last_seq}), expected version ${expectedVersion} (last seq ${plan.prevSeq})`
      : `run ${runId} is at version none, expected ${expectedVersion}`,
  );
}

/** The error of a commit refused because `owner` leases the run until `until` (ms). */
export function leaseHeldError(plan: CommitPlan, owner?: string, until?: number): LeaseHeldError {
  const holder = owner
    ? `leased by ${owner}${until ? ` until ${new Date(until).toISOString()}` : ''}`
    : 'leased by another owner';
  return new LeaseHeldError(
    `run ${plan.commit.runId} is ${holder}; the commit of ${plan.lease?.owner} was not applied`,
  );
}

/** A unique violation while writing a plan, as the conflict it means; other errors unchanged. */
export function violationError(plan: CommitPlan, error: unknown): unknown {
  if (!isUniqueViolation(error)) return error;
  const where = describeViolation(error);
  const { run, runId } = plan.commit;
  if (plan.header.kind === 'insert' && where.includes('idempotency')) {
    return new ConcurrencyError(`idempotency key ${run.idempotencyKey} is taken by another run`, {
      cause: error,
    });
  }
  if (plan.header.kind === 'insert' && /runs(_pkey|\.tenant_id)/.test(where)) {
    return new ConcurrencyError(`run ${runId} already exists`, { cause: error });
  }
  return new ConcurrencyError(`events ${plan.prevSeq + 1}.. of run ${runId} already exist`, { cause: error });
}
