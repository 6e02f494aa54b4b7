import type { StepCommit, StepHooks } from '../catalog/step-hooks.js';
import type { ChildRunOutcome, StepContext } from '../catalog/types.js';
import type { StepDefinition } from '../segment/types.js';
import type { StepAuditEntry } from '../worktrail/audit-actions.js';
import type { WorktrailEventDraft } from '../worktrail/event-types.js';
import type { LlmAgentConfig, LlmAgentTool } from './llm-agent-config.js';

/**
 * Events and audit entries a kind records with a call: in the commit that records the
 * delegation, or (a call that ended before its delegation was recorded, e.g. after a crash)
 * with the call's result. Give them only when `call.childRunId` is unset, so they are
 * recorded once.
 */
export interface AgentToolRecords {
  events?: WorktrailEventDraft[];
  audit?: StepAuditEntry[];
}

/** Where one tool call of an agent stands, as a {@link AgentToolKind} reports it. */
export type AgentToolProgress = AgentToolRecords &
  /**
   * The call finished: `result` is what the model is told (as JSON). With `final`, the
   * agent ends once the turn's calls are settled, with `result` as its `output` and no
   * further model call (a handoff).
   */
  (
    | { status: 'done'; result: unknown; final?: boolean }
    /** The call finished unsuccessfully: the model is told `error`. */
    | { status: 'error'; error: string }
    /**
     * The call runs as a child run the step waits on, durably: the agent commits the run's
     * id with the call, suspends, and calls the kind again (with `childRunId`) once the
     * child has ended.
     */
    | { status: 'delegated'; childRunId: string; segmentId: string; version: string }
  );

/** One tool call handed to a {@link AgentToolKind}. */
export interface AgentToolCall {
  /** `runId:stepId:turn:callId`: the call's idempotency key. */
  idempotencyKey: string;
  turn: number;
  /** The model's id for the call. */
  callId: string;
  /** The arguments the model sent (or a reviewer's edits). */
  args: unknown;
  /** Set when the call was delegated before: the child run it waits on. */
  childRunId?: string;
}

/**
 * A kind of `llm_agent` tool other than a named action: an entry of `config.tools` that
 * sets this kind's `key` (e.g. `segment_id`) instead of `action`. The model calls it by
 * the entry's `name` (or {@link AgentToolKind.defaultName}); approvals, idempotency keys
 * and events are the same as for actions.
 */
export interface AgentToolKind {
  /** The entry key that selects this kind, e.g. `segment_id`. */
  key: string;
  /** JSON Schema properties of the entry keys this kind reads (merged into the step's config schema). */
  properties: Record<string, unknown>;
  /** The name the model calls the tool by when the entry gives no `name`. */
  defaultName(tool: LlmAgentTool): string;
  /** What the tool does, for the model, when the entry gives no `description`. */
  defaultDescription(tool: LlmAgentTool): string;
  /** Segments the entry refers to, with the field (relative to the entry, e.g. `.segment_id`). */
  references?(tool: LlmAgentTool): Array<{ path: string; segmentId: string; version?: string }>;
  /** Extra checks of an entry at validation, as `[path relative to the entry, message]`. @default none */
  validate?(tool: LlmAgentTool): Array<[string, string]>;
  /** Runs one call (or, with `call.childRunId`, looks at the child it waits on). */
  call(ctx: StepContext<LlmAgentConfig>, tool: LlmAgentTool, call: AgentToolCall): Promise<AgentToolProgress>;
}

/** A tool of an agent with its name resolved: `action` is the name the model calls it by. */
export type ResolvedAgentTool = LlmAgentTool & { action: string; kind?: AgentToolKind };

/** The kind an entry selects, if it is no plain action. */
export function kindOf(tool: LlmAgentTool, kinds: readonly AgentToolKind[]): AgentToolKind | undefined {
  if (tool.action !== undefined) return undefined;
  return kinds.find((k) => (tool as Record<string, unknown>)[k.key] !== undefined);
}

/** The entries of `config.tools` with their names resolved (the names the model sees). */
export function resolveTools(
  tools: readonly LlmAgentTool[] | undefined,
  kinds: readonly AgentToolKind[],
): ResolvedAgentTool[] {
  return (tools ?? []).map((tool) => {
    const kind = kindOf(tool, kinds);
    if (!kind) return { ...tool, action: tool.action ?? tool.name ?? '' };
    return {
      ...tool,
      action: tool.name ?? kind.defaultName(tool),
      description: tool.description ?? kind.defaultDescription(tool),
      kind,
    };
  });
}

/** Problems of entries that select no kind at all. */
export function toolKindProblems(
  tools: readonly LlmAgentTool[] | undefined,
  kinds: readonly AgentToolKind[],
): Array<[string, string]> {
  const keys = ['action', ...kinds.map((k) => k.key)];
  return (tools ?? []).flatMap((tool, i): Array<[string, string]> => {
    const kind = kindOf(tool, kinds);
    if (tool.action === undefined && !kind)
      return [[`.config.tools[${i}]`, `a tool needs one of ${keys.map((k) => `"${k}"`).join(', ')}`]];
    return (kind?.validate?.(tool) ?? []).map(([path, message]) => [`.config.tools[${i}]${path}`, message]);
  });
}

/** The segments the step's tools refer to (its type's `references` hook). */
export function toolReferences(
  step: StepDefinition,
  kinds: readonly AgentToolKind[],
): Array<{ path: string; segmentId: string; version?: string }> {
  const tools = (step.config as { tools?: unknown } | undefined)?.tools;
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((tool, i) => {
    if (typeof tool !== 'object' || tool === null) return [];
    const kind = kindOf(tool as LlmAgentTool, kinds);
    return (kind?.references?.(tool as LlmAgentTool) ?? []).map((ref) => ({
      ...ref,
      path: `.config.tools[${i}]${ref.path}`,
    }));
  });
}

/** The config schema with the kinds' entry keys (and `name`) allowed in `tools` and `action` optional. */
export function withToolKinds(
  schema: Record<string, unknown>,
  kinds: readonly AgentToolKind[],
): Record<string, unknown> {
  const copy = structuredClone(schema) as {
    properties: { tools: { items: { required?: string[]; properties: Record<string, unknown> } } };
  };
  const items = copy.properties.tools.items;
  items.required = (items.required ?? []).filter((key) => key !== 'action');
  items.properties.name = {
    type: 'string',
    minLength: 1,
    description: 'The name the model calls the tool by.',
  };
  for (const kind of kinds) Object.assign(items.properties, kind.properties);
  return copy as unknown as Record<string, unknown>;
}

/** What an agent that delegates suspends with besides its open approvals. */
export interface AgentDelegationSuspension {
  /** Child runs the waiting calls were delegated to. */
  children?: string[];
}

const isChildOutcome = (data: unknown): data is ChildRunOutcome =>
  typeof data === 'object' && data !== null && (data as ChildRunOutcome).type === 'child_run';

/**
 * An agent's `onSignal` that also hears of its delegated calls: a child run it waits on
 * that ended runs the handler again (which reads the child's result and commits it as the
 * tool result); any other signal goes to `inner`.
 */
export function withChildOutcomes(
  inner: NonNullable<StepHooks['onSignal']>,
): NonNullable<StepHooks['onSignal']> {
  return async (commit: StepCommit, data: unknown) => {
    if (isChildOutcome(data)) {
      const payload = commit.state.suspension?.payload as AgentDelegationSuspension | undefined;
      if (payload?.children?.includes(data.run_id)) {
        commit.rerun(data);
        return;
      }
    }
    return inner(commit, data);
  };
}
