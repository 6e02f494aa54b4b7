import type { RunRecord, StepStateRecord } from '../store/types.js';

/**
 * Copies of run and step records in one fixed shape, every field present (absent ones as
 * `undefined`). A spread copy (`{ ...run }`) that later gets a field its source lacked
 * (`outputs`, `completedAt`) takes V8's slow path, microseconds per copy; a literal of one
 * shape is a plain allocation, and every record made here shares one hidden class.
 */
export function copyRun(run: RunRecord): RunRecord {
  return {
    runId: run.runId,
    tenantId: run.tenantId,
    segmentId: run.segmentId,
    segmentVersion: run.segmentVersion,
    status: run.status,
    input: run.input,
    outputs: run.outputs,
    error: run.error,
    version: run.version,
    lastSeq: run.lastSeq,
    idempotencyKey: run.idempotencyKey,
    forkedFrom: run.forkedFrom,
    parent: run.parent,
    pausedFrom: run.pausedFrom,
    stepsCompleted: run.stepsCompleted,
    limits: run.limits,
    trace: run.trace,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    completedAt: run.completedAt,
  };
}

/** A copy of a step record, in the one shape of {@link copyRun}'s kind. */
export function copyStep(rec: StepStateRecord): StepStateRecord {
  return {
    tenantId: rec.tenantId,
    runId: rec.runId,
    stepId: rec.stepId,
    status: rec.status,
    attempt: rec.attempt,
    iterationAttempts: rec.iterationAttempts,
    iteration: rec.iteration,
    inputs: rec.inputs,
    outputs: rec.outputs,
    error: rec.error,
    suspension: rec.suspension,
    checkpoint: rec.checkpoint,
    execution: rec.execution,
    startedAt: rec.startedAt,
    finishedAt: rec.finishedAt,
  };
}
