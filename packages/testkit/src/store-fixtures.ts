import {
  type AuditDraft,
  type Commit,
  canonicalJson,
  type InteractionRecord,
  type RunRecord,
  type RunStatus,
  type SnapshotRecord,
  type StepStateRecord,
  type Store,
  sha256,
  type TimerRecord,
  type WorktrailEvent,
} from '@llmteam/core';

/** Base instant of every fixture; offsets in ms are added to it. */
const BASE_MS = Date.parse('2030-01-01T00:00:00.000Z');

/** ISO time `ms` milliseconds after the fixtures' base instant. */
export function at(ms = 0): string {
  return new Date(BASE_MS + ms).toISOString();
}

/** A short random id part, so fixtures never collide in a shared database. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/** A run header as the engine writes it. */
export function sampleRun(tenantId: string, runId: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runId,
    tenantId,
    segmentId: 'seg-a',
    segmentVersion: '1.0.0',
    status: 'running',
    input: { topic: 'conformance', n: 1 },
    version: 1,
    lastSeq: 0,
    stepsCompleted: 0,
    createdAt: at(),
    updatedAt: at(),
    ...overrides,
  };
}

/** A worktrail event. */
export function sampleEvent(
  tenantId: string,
  runId: string,
  seq: number,
  type = 'step.completed',
  stepId?: string,
): WorktrailEvent {
  return {
    event_id: `${runId}-e${seq}`,
    tenant_id: tenantId,
    run_id: runId,
    seq,
    type,
    ...(stepId ? { step_id: stepId } : {}),
    timestamp: at(seq),
    data: { seq, note: 'ünïcødé ✓' },
  };
}

/** A step state. */
export function sampleStep(
  tenantId: string,
  runId: string,
  stepId: string,
  overrides: Partial<StepStateRecord> = {},
): StepStateRecord {
  return {
    tenantId,
    runId,
    stepId,
    status: 'completed',
    attempt: 1,
    iterationAttempts: 1,
    iteration: 0,
    outputs: { out: `${stepId} done` },
    ...overrides,
  };
}

/** A durable timer. */
export function sampleTimer(tenantId: string, runId: string, timerId: string, dueAt: string): TimerRecord {
  return {
    timerId,
    tenantId,
    runId,
    stepId: 'approve',
    kind: 'interaction.timeout',
    dueAt,
    payload: { interactionId: 'i1' },
  };
}

/** An interaction request. */
export function sampleInteraction(
  tenantId: string,
  runId: string,
  interactionId: string,
  overrides: Partial<InteractionRecord> = {},
): InteractionRecord {
  return {
    interactionId,
    tenantId,
    runId,
    stepId: 'approve',
    type: 'approval',
    status: 'pending',
    priority: 'normal',
    title: 'Approve the report',
    assignees: { users: ['ana'], groups: ['finance'] },
    escalationLevel: 0,
    revision: 0,
    responses: [],
    settings: { quorum: 1 },
    createdAt: at(),
    updatedAt: at(),
    ...overrides,
  };
}

/** A snapshot of `run` and `steps`, checksummed the way the engine does it. */
export function sampleSnapshot(
  run: RunRecord,
  steps: StepStateRecord[],
  snapshotId: string,
  createdAt = at(50),
): SnapshotRecord {
  const state = { run, steps };
  return {
    snapshotId,
    tenantId: run.tenantId,
    runId: run.runId,
    segmentId: run.segmentId,
    seq: run.lastSeq,
    reason: 'manual',
    createdAt,
    state,
    checksum: sha256(canonicalJson(state)),
  };
}

/** An audit draft. */
export function sampleAudit(tenantId: string, action: string, timestamp = at(), runId?: string): AuditDraft {
  return { tenantId, action, actor: 'system', ...(runId ? { runId } : {}), data: { action }, timestamp };
}

/** Commits a new run (version 1) with a `run.started` event. */
export async function startRun(
  store: Store,
  tenantId: string,
  runId: string,
  extra: Partial<Commit> & { runOverrides?: Partial<RunRecord> } = {},
): Promise<RunRecord> {
  const { runOverrides, ...rest } = extra;
  const events = rest.events ?? [sampleEvent(tenantId, runId, 1, 'run.started')];
  const run = sampleRun(tenantId, runId, {
    lastSeq: events.length ? events[events.length - 1].seq : 0,
    ...runOverrides,
  });
  await store.commit({ tenantId, runId, expectedVersion: 0, run, ...rest, events });
  return run;
}

/**
 * Commits the next transition of `run` with `eventCount` new events, returning the new
 * header. `extra` adds steps, timers, interactions, snapshots or audit drafts.
 */
export async function advanceRun(
  store: Store,
  run: RunRecord,
  eventCount = 1,
  extra: Partial<Commit> & { status?: RunStatus } = {},
): Promise<RunRecord> {
  const { status, ...rest } = extra;
  const events = Array.from({ length: eventCount }, (_, i) =>
    sampleEvent(run.tenantId, run.runId, run.lastSeq + 1 + i),
  );
  const next: RunRecord = {
    ...run,
    status: status ?? run.status,
    version: run.version + 1,
    lastSeq: run.lastSeq + eventCount,
    updatedAt: at(run.version + 1),
  };
  await store.commit({
    tenantId: run.tenantId,
    runId: run.runId,
    expectedVersion: run.version,
    run: next,
    events,
    ...rest,
  });
  return next;
}
