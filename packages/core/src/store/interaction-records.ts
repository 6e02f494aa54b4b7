/** Interactions and durable timers as a store keeps them. */

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
  /** Every earlier round's request for changes in this revision loop, oldest first. */
  feedbackHistory?: FeedbackRound[];
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
/** One round of a revision loop: the feedback a request for changes gave. */
export interface FeedbackRound {
  /** The revision that was sent back (0: the first pass). */
  revision: number;
  feedback: string;
  /** Who asked for the changes. */
  by: string;
  at: string;
}

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
 * The key an open request sorts by in an SLA-ordered inbox: its SLA breach time (else its
 * deadline, else last), then its creation time and id. Plain text, ordered as compared.
 */
export function interactionDueKey(
  i: Pick<InteractionRecord, 'slaBreachAt' | 'deadline' | 'createdAt' | 'interactionId'>,
): string {
  return `${i.slaBreachAt ?? i.deadline ?? '9999'}|${i.createdAt}|${i.interactionId}`;
}
