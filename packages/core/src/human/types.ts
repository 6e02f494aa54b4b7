import type { InteractionPriority, InteractionResponse } from '../store/types.js';

/** Options of a request a handler makes mid-step (`ctx.requestApproval` / `ctx.requestInput`). */
export interface HumanRequestOptions {
  title: string;
  description?: string;
  /** `alice`, `group:finance`, or a list. */
  assignee?: string | string[];
  priority?: InteractionPriority;
  /** For `requestInput`: JSON Schema the answer must satisfy. */
  inputSchema?: Record<string, unknown>;
  /** For a choice. */
  options?: unknown[];
  timeout?: string | number;
  on_timeout?: 'fail' | 'approve' | 'reject' | 'escalate';
  sla_warning?: string | number;
  sla_breach?: string | number;
  escalation_chain?: Array<string | string[]>;
  auto_approve_after?: string | number;
  required_approvers?: string[] | { group?: string; count: number };
  /** Data shown to the person (sealed fields removed). */
  context?: unknown;
}

/** The closing answer handed back to the step that asked. */
export interface HumanOutcome {
  interactionId: string;
  action: string;
  subject: string;
  value?: unknown;
  comment?: string;
  /** Every answer given (quorum, chat). */
  responses: InteractionResponse[];
}

