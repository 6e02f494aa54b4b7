import type {
  FeedbackRound,
  InteractionPriority,
  InteractionResponse,
  InteractionType,
} from '../store/types.js';
import type { AssignmentOptions, AssignmentRecord } from './assignment.js';

/** Options of a request a handler makes mid-step (`ctx.requestApproval` / `ctx.requestInput`). */
export interface HumanRequestOptions {
  title: string;
  description?: string;
  /**
   * Kind of request. `requestApproval` asks for an `approval` and `requestInput` for an
   * `input` unless this says otherwise (e.g. `review`, `choice`, `chat`).
   */
  type?: InteractionType;
  /** `alice`, `user:alice`, `group:finance`, or a list of them. */
  assignee?: string | string[];
  /** Decides which notification channels hear about it. @default "normal" */
  priority?: InteractionPriority;
  /** For an `input` request: JSON Schema the answer must satisfy. */
  inputSchema?: Record<string, unknown>;
  /** For a `choice`: the values (or `{ value, label }` objects) a person picks from. */
  options?: unknown[];
  /** Deadline: ISO 8601 duration or seconds. Without it the request waits forever. */
  timeout?: string | number;
  /**
   * What happens at the deadline: `fail` the step, resolve as `approve` / `reject`, or
   * `escalate` to the next level of `escalation_chain`. Unset: the answer is `timeout`.
   * @default "escalate" when `escalation_chain` is set
   */
  on_timeout?: 'fail' | 'approve' | 'reject' | 'escalate';
  /** When an `interaction.sla_warning` event fires (duration from the request). */
  sla_warning?: string | number;
  /** When an `interaction.sla_breached` event fires (duration from the request). */
  sla_breach?: string | number;
  /** Assignees of escalation levels 1, 2, ...; each level gets a fresh `timeout`. */
  escalation_chain?: Array<string | string[]>;
  /** Approves on its own after this long (ISO 8601 duration or seconds). */
  auto_approve_after?: string | number;
  /** Quorum: every listed user must approve, or `count` members of `group`. One rejection rejects. */
  required_approvers?: string[] | { group?: string; count: number };
  /** How many times a `review` may ask for changes. @default 3 */
  max_revisions?: number;
  /** Data shown to the person (sealed fields removed). */
  context?: unknown;
  /**
   * Gives a request to one member of the `group:` in `assignee`, chosen by `strategy`
   * (`round_robin`, `least_loaded` by open requests, or `capability`: members with every
   * one of `skills`, least loaded first); members come from the engine's `directory`. The
   * choice is committed with the request.
   */
  assignment?: AssignmentOptions;
}

/** The closing answer handed back to the step that asked. */
export interface HumanOutcome {
  interactionId: string;
  /** `approve`, `reject`, `request_changes`, `respond`, `close` or `timeout`. */
  action: string;
  subject: string;
  value?: unknown;
  comment?: string;
  /** Every answer given (quorum approvals, chat messages). */
  responses: InteractionResponse[];
  /** The earlier rounds' requests for changes of this revision loop, oldest first. */
  feedbackHistory?: FeedbackRound[];
}

/** A request a step opens itself with `ctx.draftRequests`. */
export interface DraftRequest extends HumanRequestOptions {
  /** The request's id, e.g. one the step committed earlier. @default a fresh id */
  interactionId?: string;
  /** Assignees already chosen by an `assignment` strategy (core's desk fills it in). */
  assigned?: { assignees: { users: string[]; groups: string[] }; assignment?: AssignmentRecord };
}
