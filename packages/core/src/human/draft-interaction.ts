import type { StepContext, SuspendOptions } from '../catalog/types.js';
import type { InteractionRecord, TimerRecord } from '../store/types.js';
import { parseDuration } from '../util/duration.js';
import { parseAssignees } from './assignees.js';
import { assignedEvent } from './assignment.js';
import type { DraftRequest, HumanRequestOptions } from './types.js';

/** Assignees of a new request: `assignee`, plus the quorum's users or group (they answer too). */
export function assigneesOf(options: HumanRequestOptions): { users: string[]; groups: string[] } {
  const { users, groups } = parseAssignees(options.assignee);
  const quorum = options.required_approvers;
  if (Array.isArray(quorum)) {
    for (const u of parseAssignees(quorum).users) if (!users.includes(u)) users.push(u);
  } else if (quorum?.group && !groups.includes(quorum.group)) {
    groups.push(quorum.group);
  }
  return { users, groups };
}

/** One drafted request: its record, its durable timers and the events that announce it. */
export interface DraftedInteraction {
  interaction: InteractionRecord;
  timers: TimerRecord[];
  events: NonNullable<SuspendOptions['events']>;
}

/**
 * Builds one request of a step (nothing is written): the interaction record with its
 * assignees, deadline and SLA times, its timers (timeout, SLA warning and breach,
 * auto-approve) and its `interaction.requested` (and `interaction.assigned`) events.
 * `previous` is the step's earlier request when this one is a revision of it.
 */
export function draftInteraction(
  ctx: StepContext,
  options: DraftRequest,
  previous?: Pick<InteractionRecord, 'interactionId' | 'outcome' | 'revision' | 'feedbackHistory'>,
): DraftedInteraction {
  const now = ctx.clock.now();
  const iso = (ms: number) => new Date(now + ms).toISOString();
  const events: NonNullable<SuspendOptions['events']> = [];
  const type = options.type ?? 'approval';
  const interactionId = options.interactionId ?? ctx.newId('int');
  const own: TimerRecord[] = [];
  const addTimer = (kind: string, ms: number) => {
    own.push({
      timerId: ctx.newId('tmr'),
      tenantId: ctx.tenantId,
      runId: ctx.runId,
      stepId: ctx.stepId,
      kind,
      dueAt: iso(ms),
      payload: { interactionId },
    });
  };
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout');
  if (timeoutMs !== undefined) addTimer('interaction.timeout', timeoutMs);
  const slaWarningMs =
    options.sla_warning === undefined ? undefined : parseDuration(options.sla_warning, 'sla_warning');
  const slaBreachMs =
    options.sla_breach === undefined ? undefined : parseDuration(options.sla_breach, 'sla_breach');
  if (slaWarningMs !== undefined) addTimer('interaction.sla_warning', slaWarningMs);
  if (slaBreachMs !== undefined) addTimer('interaction.sla_breach', slaBreachMs);
  if (options.auto_approve_after !== undefined)
    addTimer('interaction.auto_approve', parseDuration(options.auto_approve_after, 'auto_approve_after'));
  const revision = ctx.iteration;
  const previousFeedback =
    previous?.outcome?.action === 'request_changes'
      ? String(previous.outcome.comment ?? previous.outcome.value ?? '')
      : undefined;
  const feedbackHistory =
    previousFeedback !== undefined
      ? [
          ...(previous?.feedbackHistory ?? []),
          {
            revision: previous?.revision ?? Math.max(0, revision - 1),
            feedback: previousFeedback,
            by: previous!.outcome!.subject,
            at: previous!.outcome!.at,
          },
        ]
      : previous?.feedbackHistory;
  const interaction: InteractionRecord = {
    interactionId,
    tenantId: ctx.tenantId,
    runId: ctx.runId,
    stepId: ctx.stepId,
    type,
    status: 'pending',
    priority: options.priority ?? 'normal',
    title: options.title,
    description: options.description,
    assignees: options.assigned?.assignees ?? assigneesOf(options),
    options: options.options,
    inputSchema: options.inputSchema,
    escalationLevel: 0,
    revision,
    parentId: previous?.interactionId,
    previousFeedback,
    ...(feedbackHistory?.length ? { feedbackHistory } : {}),
    responses: [],
    deadline: timeoutMs === undefined ? undefined : iso(timeoutMs),
    slaWarningAt: slaWarningMs === undefined ? undefined : iso(slaWarningMs),
    slaBreachAt: slaBreachMs === undefined ? undefined : iso(slaBreachMs),
    settings: {
      timerIds: own.map((t) => t.timerId),
      timeoutMs,
      onTimeout: options.on_timeout ?? (options.escalation_chain?.length ? 'escalate' : undefined),
      escalationChain: options.escalation_chain ?? [],
      requiredApprovers: options.required_approvers,
      maxRevisions: options.max_revisions,
      context: options.context,
      ...(options.assigned?.assignment ? { assignment: options.assigned.assignment } : {}),
    },
    createdAt: new Date(now).toISOString(),
    updatedAt: new Date(now).toISOString(),
  };
  events.push({
    type: 'interaction.requested',
    data: {
      interaction_id: interactionId,
      type,
      priority: interaction.priority,
      assignees: interaction.assignees,
      revision,
      parent_id: interaction.parentId,
      previous_feedback: interaction.previousFeedback,
      deadline: interaction.deadline,
    },
  });
  if (options.assigned?.assignment) events.push(assignedEvent(interactionId, options.assigned.assignment));
  return { interaction, timers: own, events };
}
