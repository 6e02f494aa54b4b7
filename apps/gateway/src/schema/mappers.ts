/** Maps store records to the GraphQL shapes of `object-types.ts`. */
import type {
  ApiKeyRecord,
  AuditRecord,
  WorktrailEvent as EventRecord,
  InteractionRecord,
  RunRecord,
  SegmentRecord,
  SnapshotRecord,
  StepStateRecord,
  StepTypeInfo,
  TimerRecord,
} from '@llmteam/core';
import type {
  ApiKey,
  AuditEvent,
  Interaction,
  Run,
  Segment,
  Snapshot,
  StepState,
  StepType,
  Timer,
  WorktrailEvent,
} from './object-types.js';

/** A run as resolvers pass it around: the GraphQL fields plus what field resolvers need. */
export type RunSource = Run & { tenantId: string; preloadedSteps?: StepStateRecord[] };

export function toRun(run: RunRecord, steps?: StepStateRecord[]): RunSource {
  return {
    id: run.runId,
    tenantId: run.tenantId,
    segmentId: run.segmentId,
    segmentVersion: run.segmentVersion,
    status: run.status,
    input: run.input,
    outputs: run.outputs,
    error: run.error,
    lastSeq: run.lastSeq,
    forkedFrom: run.forkedFrom,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    completedAt: run.completedAt,
    deadline: run.limits?.deadline,
    maxRetries: run.limits?.maxRetries,
    preloadedSteps: steps,
  };
}

export function toStep(step: StepStateRecord): StepState {
  return {
    stepId: step.stepId,
    status: step.status,
    attempt: step.attempt,
    iteration: step.iteration,
    outputs: step.outputs,
    error: step.error,
    startedAt: step.startedAt,
    finishedAt: step.finishedAt,
  };
}

export function toEvent(event: EventRecord): WorktrailEvent {
  return {
    id: event.event_id,
    runId: event.run_id,
    seq: event.seq,
    type: event.type,
    stepId: event.step_id,
    timestamp: event.timestamp,
    data: event.data,
  };
}

/** An interaction with the record it came from, for fields resolved from more than it (`context`). */
export type InteractionSource = Interaction & { record?: InteractionRecord };

export function toInteraction(record: InteractionRecord): InteractionSource {
  return {
    record,
    id: record.interactionId,
    runId: record.runId,
    stepId: record.stepId,
    type: record.type,
    status: record.status,
    priority: record.priority,
    title: record.title,
    description: record.description,
    assignees: { users: record.assignees?.users ?? [], groups: record.assignees?.groups ?? [] },
    options: record.options,
    inputSchema: record.inputSchema,
    escalationLevel: record.escalationLevel,
    revision: record.revision,
    previousFeedback: record.previousFeedback,
    responses: record.responses ?? [],
    outcome: record.outcome,
    deadline: record.deadline,
    slaWarningAt: record.slaWarningAt,
    slaBreachAt: record.slaBreachAt,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export function toTimer(timer: TimerRecord): Timer {
  return { id: timer.timerId, kind: timer.kind, stepId: timer.stepId, dueAt: timer.dueAt };
}

export function toSnapshot(snapshot: SnapshotRecord): Snapshot {
  return {
    id: snapshot.snapshotId,
    runId: snapshot.runId,
    segmentId: snapshot.segmentId ?? snapshot.state.run.segmentId,
    seq: snapshot.seq,
    reason: snapshot.reason,
    label: snapshot.label,
    checksum: snapshot.checksum,
    createdAt: snapshot.createdAt,
  };
}

export function toSegment(segment: SegmentRecord): Segment {
  return {
    id: segment.segmentId,
    version: segment.version,
    name: segment.name,
    definition: segment.definition,
    createdAt: segment.createdAt,
  };
}

export function toAudit(record: AuditRecord): AuditEvent {
  return {
    seq: record.seq,
    action: record.action,
    actor: record.actor,
    runId: record.runId,
    target: record.target,
    data: record.data,
    timestamp: record.timestamp,
    prevHash: record.prevHash,
    hash: record.hash,
  };
}

export function toStepType(info: StepTypeInfo): StepType {
  const port = (p: { port_id: string; data_type?: string; description?: string }) => ({
    portId: p.port_id,
    dataType: p.data_type,
    description: p.description,
  });
  return {
    type: info.type,
    displayName: info.displayName,
    category: info.category,
    description: info.description,
    configSchema: info.configSchema,
    inputs: info.inputs.map(port),
    outputs: info.outputs.map(port),
    dynamicPorts: info.dynamicPorts,
    permissions: info.permissions,
  };
}

/** An API key record as GraphQL shows it (the hash of its secret stays in the store). */
export function toApiKey(record: ApiKeyRecord): ApiKey {
  return {
    id: record.keyId,
    tenantId: record.tenantId,
    roles: record.roles,
    name: record.name,
    subject: record.subject,
    groups: record.groups,
    createdAt: record.createdAt,
    revokedAt: record.revokedAt,
    expiresAt: record.expiresAt,
  };
}
