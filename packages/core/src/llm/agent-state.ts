import type { ConversationNode } from './conversation-log.js';
import type { LlmMessage, LlmToolCall, LlmUsage } from './types.js';

/** The result of one tool call, as kept in the agent's state. */
export interface ToolOutcome {
  content: string;
  isError: boolean;
  /** Set when the call ends the agent (a handoff): the agent's `output`. */
  final?: { output: unknown };
}

/** A reviewer's closing answer to a tool approval, as the agent reads it. */
export interface ToolApprovalDecision {
  /** `approve` runs the call; anything else refuses it. */
  action: 'approve' | 'reject' | 'request_changes' | 'timeout';
  by: string;
  comment?: string;
  /** Arguments the reviewer edited before approving (a `review` approved with a value). */
  edits?: Record<string, unknown>;
  /** Set when the answer could not be read: the call is refused, never run. */
  unreadable?: string;
}

/** One tool call that waits for a person. */
export interface PendingApproval {
  interactionId: string;
  decision?: ToolApprovalDecision;
}

/** The tool calls of the last response and what is known of them so far, by call id. */
export interface PendingTurn {
  calls: LlmToolCall[];
  results: Record<string, ToolOutcome>;
  /** Calls that need an approval before they run. */
  approvals?: Record<string, PendingApproval>;
  /** Calls delegated to a child run (a tool kind such as a child segment): the child's run id. */
  delegated?: Record<string, string>;
}

/** The agent loop's state while it runs: the conversation as one array of messages. */
export interface AgentState {
  v: 1;
  /** Model calls whose responses are committed. */
  turn: number;
  messages: LlmMessage[];
  usage: LlmUsage;
  repairs: number;
  pending?: PendingTurn;
}

/**
 * What the agent commits after each model response, each decision and each tool result:
 * {@link AgentState} with the conversation as a content-addressed chain (each commit adds
 * one node with the new messages). A checkpoint of the older layout (`v: 1`, the messages
 * as one array) is read too.
 */
export interface StoredAgentState extends Omit<AgentState, 'v' | 'messages'> {
  v: 2;
  conversation?: ConversationNode;
}

/** The payload an agent suspends with while tool calls wait for approval. */
export interface AgentApprovalSuspension {
  /** The open requests (see `OpenRequestsPayload`): each closing answer signals the step. */
  interactionIds: string[];
  /** The turn whose calls wait. */
  turn: number;
  /** Child runs that delegated calls wait on: each one's end runs the handler again. */
  children?: string[];
}

/** Resume data an agent accepts: closing answers by interaction id. */
export interface AgentApprovalResume {
  approvals: Record<string, ToolApprovalDecision>;
}
