import {
  type InteractionRecord,
  LlmteamError,
  type RunRecord,
  type SnapshotRecord,
  type WorktrailEvent,
} from '@llmteam/core';
import type { SqlRow } from './entities.js';
import { SqlStoreError } from './errors.js';
import { decodeValue, encodeValue, refersToShared, type ValueSource } from './shared-values.js';

/**
 * Encodes a ports object with {@link encodeValue}: large values (and large parts of values)
 * by hash into `values`, so a value that is a step's output and the next step's input (or a
 * run output) is stored once.
 */
export function encodePorts(
  ports: Record<string, unknown> | undefined,
  values: Map<string, string>,
): string | null {
  if (ports === undefined || ports === null) return null;
  return encodeValue(ports, values);
}

/** True for a ports column that refers to shared values (this format, or the one before). */
export function isShared(column: unknown): boolean {
  return typeof column === 'string' && (refersToShared(column) || column.startsWith('['));
}

/** Run header fields that have no column of their own (everything but `input` and `outputs`). */
export function runExtra(run: RunRecord): string {
  const {
    runId: _r,
    tenantId: _t,
    segmentId: _s,
    segmentVersion: _v,
    status: _st,
    input: _i,
    outputs: _o,
    version: _ve,
    lastSeq: _l,
    stepsCompleted: _sc,
    idempotencyKey: _k,
    createdAt: _c,
    updatedAt: _u,
    completedAt: _ca,
    ...extra
  } = run;
  return JSON.stringify(extra);
}

/** An event's id from its `event_id` column: stored empty when it is `<runId>.<seq>`. */
export function eventId(column: unknown, runId: string, seq: unknown): string {
  return column ? String(column) : `${runId}.${seq}`;
}

/** The opaque `listRuns` cursor of a run. */
export function encodeCursor(createdAt: string, runId: string): string {
  return Buffer.from(JSON.stringify([createdAt, runId])).toString('base64url');
}

/** Reads a `listRuns` cursor, or fails with a typed error. */
export function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string'))
      return value as [string, string];
  } catch {
    // fall through to the typed error
  }
  throw new LlmteamError(
    'LLMT_E_INVALID_ARGUMENT',
    `listRuns: cursor "${cursor}" is not one this store returned; pass nextCursor from a previous page`,
  );
}

/** Turns rows back into records, with typed errors naming the store and the row. */
export class RowCodec {
  constructor(private readonly store: string) {}

  /** Parses a JSON column, or fails with `LLMT_E_SQL_CORRUPT_ROW`. */
  parse(text: unknown, where: string): unknown {
    try {
      return JSON.parse(String(text));
    } catch (error) {
      throw new SqlStoreError(
        'LLMT_E_SQL_CORRUPT_ROW',
        `${this.store}: row ${where} holds invalid JSON (${(error as Error).message}). ` +
          'Restore the row from a backup, or delete it (for a snapshot: take a new one) and try again.',
        { cause: error, details: { store: this.store, row: where } },
      );
    }
  }

  /**
   * A JSON column that may refer to shared values, looked up in `shared` (a run's
   * `run_values`); `memo` keeps what one read decoded, by hash.
   */
  decode(
    text: string,
    shared: Map<string, string> | undefined,
    where: string,
    memo: Map<string, unknown> = new Map(),
  ): unknown {
    const source: ValueSource = {
      parse: (t) => this.parse(t, where),
      body: (hash) => {
        const body = shared?.get(hash);
        if (body === undefined) {
          throw new SqlStoreError(
            'LLMT_E_SQL_CORRUPT_ROW',
            `${this.store}: row ${where} refers to a stored value ${hash} that is missing. Restore the run from a backup or a snapshot.`,
            { details: { store: this.store, row: where } },
          );
        }
        return body;
      },
    };
    return decodeValue(text, source, memo);
  }

  /** A ports column, with shared values looked up in `shared`. */
  decodePorts(
    text: string,
    shared: Map<string, string> | undefined,
    where: string,
    memo: Map<string, unknown> = new Map(),
  ): Record<string, unknown> {
    if (!text.startsWith('[')) return this.decode(text, shared, where, memo) as Record<string, unknown>;
    // The format before sub-values were shared: `[inline, { port: hash }]`.
    const [inline, refs] = this.parse(text, where) as [Record<string, unknown>, Record<string, string>];
    for (const [port, hash] of Object.entries(refs))
      inline[port] = this.decode(`#[null,[[[],${JSON.stringify(hash)}]]]`, shared, where, memo);
    return inline;
  }

  /** A run header row; `shared` loads the run's shared values when its outputs need them. */
  async run(row: SqlRow, shared: () => Promise<Map<string, string>>): Promise<RunRecord> {
    const where = `runs(${row.tenant_id}, ${row.run_id})`;
    const run = {
      ...(this.parse(row.extra, where) as object),
      runId: String(row.run_id),
      tenantId: String(row.tenant_id),
      segmentId: String(row.segment_id),
      segmentVersion: String(row.segment_version),
      status: String(row.status),
      input: undefined as unknown,
      version: Number(row.version),
      lastSeq: Number(row.last_seq),
      stepsCompleted: Number(row.steps_completed),
      createdAt: String(row.created_at),
      updatedAt: String(row.updated_at),
    } as RunRecord;
    const needsValues = refersToShared(row.input) || isShared(row.outputs);
    const values = needsValues ? await shared() : undefined;
    const memo = new Map<string, unknown>();
    if (row.input != null) run.input = this.decode(String(row.input), values, where, memo);
    if (row.idempotency_key != null) run.idempotencyKey = String(row.idempotency_key);
    if (row.completed_at != null) run.completedAt = String(row.completed_at);
    if (row.outputs != null) {
      run.outputs = this.decodePorts(String(row.outputs), values, where, memo);
    }
    return run;
  }

  /**
   * An interaction row: `body` holds what has no column of its own (rows written before
   * hold the whole record there; the columns carry the same values).
   */
  interaction(row: SqlRow, tenantId: string): InteractionRecord {
    return {
      ...(this.parse(row.body, `interactions(${tenantId}, ${row.interaction_id})`) as object),
      interactionId: String(row.interaction_id),
      tenantId,
      runId: String(row.run_id),
      status: String(row.status),
      createdAt: String(row.created_at),
    } as InteractionRecord;
  }

  /** A snapshot row. */
  snapshot(row: SqlRow): SnapshotRecord {
    const where = `snapshots(${row.tenant_id}, ${row.snapshot_id})`;
    const snapshot: SnapshotRecord = {
      snapshotId: String(row.snapshot_id),
      tenantId: String(row.tenant_id),
      runId: String(row.run_id),
      seq: Number(row.seq),
      reason: String(row.reason) as SnapshotRecord['reason'],
      createdAt: String(row.created_at),
      state: this.parse(row.state, where) as SnapshotRecord['state'],
      checksum: String(row.checksum),
    };
    snapshot.segmentId = row.segment_id != null ? String(row.segment_id) : snapshot.state.run.segmentId;
    if (row.label != null) snapshot.label = String(row.label);
    return snapshot;
  }

  /** An event row of a known tenant and run. */
  event(row: SqlRow, tenantId: string, runId: string): WorktrailEvent {
    const event: WorktrailEvent = {
      event_id: eventId(row.event_id, runId, row.seq),
      tenant_id: tenantId,
      run_id: runId,
      seq: Number(row.seq),
      type: String(row.type),
      timestamp: String(row.at),
      data: this.parse(row.data, `events(${tenantId}, ${runId}, ${row.seq})`) as Record<string, unknown>,
    };
    if (row.step_id != null) event.step_id = String(row.step_id);
    return event;
  }
}
