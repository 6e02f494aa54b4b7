import { type CallScope, DEFAULT_TENANT, type Engine } from '../engine/types.js';
import { isLlmteamError, LlmteamError } from '../errors.js';
import type { SegmentDefinition } from '../segment/types.js';
import type { RunRecord } from '../store/types.js';
import { canonicalJson, sha256 } from '../util/canonical-json.js';
import { coalesce } from '../util/coalesce.js';
import type { HumanRequestOptions } from './types.js';

/** Reserved id of the one-step segments that carry `requiresApproval` requests. */
export const APPROVAL_SEGMENT_ID = '__llmteam_approval';

/** Where a {@link ApprovalTask} is. */
export type ApprovalTaskState =
  | 'pending'
  | 'awaiting_approval'
  | 'approved'
  | 'rejected'
  | 'running'
  | 'completed'
  | 'failed';

/** The closing answer, as `fn` receives it. */
export interface ApprovalDecision {
  interactionId: string;
  /** `approve`, `reject` or `timeout`. */
  action: string;
  /** Who decided (`system:auto-approve` for an automatic approval). */
  by: string;
  comment?: string;
}

/** Options of {@link requiresApproval}: the request (as for `ctx.requestApproval`) plus its scope. */
export interface RequiresApprovalOptions
  extends CallScope,
    Omit<HumanRequestOptions, 'type' | 'inputSchema' | 'options' | 'max_revisions'> {
  /**
   * Names this approval: a second call with the same key attaches to the same request
   * (e.g. after a restart) instead of asking again.
   * @default undefined (every call asks anew)
   */
  idempotencyKey?: string;
}

/** An approval-gated piece of work. */
export interface ApprovalTask<T> {
  readonly state: ApprovalTaskState;
  /** The run that carries the request, once started. */
  readonly runId?: string;
  /** The request people answer, once it exists (state `awaiting_approval` and later). */
  readonly interactionId?: string;
  /** The closing answer, once known. */
  readonly decision?: ApprovalDecision;
  /**
   * What `fn` returned. Rejects with `LLMT_E_APPROVAL_REJECTED` when the request was rejected or
   * timed out (`fn` did not run), or with `fn`'s error.
   */
  readonly result: Promise<T>;
  /** Resolves with the interaction id once the request is stored. */
  readonly requested: Promise<string>;
  /** Calls `listener` on every state change; returns a function that removes it. */
  on(event: 'state', listener: (state: ApprovalTaskState, task: ApprovalTask<T>) => void): () => void;
}

class Task<T> implements ApprovalTask<T> {
  state: ApprovalTaskState = 'pending';
  runId?: string;
  interactionId?: string;
  decision?: ApprovalDecision;
  readonly result: Promise<T>;
  readonly requested: Promise<string>;
  private readonly listeners = new Set<(state: ApprovalTaskState, task: ApprovalTask<T>) => void>();
  settle!: { resolve(value: T): void; reject(error: unknown): void };
  asked!: { resolve(id: string): void; reject(error: unknown): void };

  constructor() {
    this.result = new Promise<T>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.requested = new Promise<string>((resolve, reject) => {
      this.asked = { resolve, reject };
    });
    // Callers that only await one of them must not see an unhandled rejection from the other.
    this.requested.catch(() => undefined);
  }

  on(_event: 'state', listener: (state: ApprovalTaskState, task: ApprovalTask<T>) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  move(state: ApprovalTaskState): void {
    if (this.state === state) return;
    this.state = state;
    for (const l of this.listeners) {
      try {
        l(state, this);
      } catch {
        // A listener's failure must not stop the task or the other listeners.
      }
    }
  }
}

function compact(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/**
 * Runs `fn` only after a person approves, for code outside segments. The request is
 * durable: it is a one-step `human_task` segment (registered under the reserved id
 * `__llmteam_approval`), so it keeps its timers, escalation and quorum, and survives a
 * restart; call again with the same `idempotencyKey` to attach to it. `fn` runs in the
 * process that holds the task, once the approval is in.
 *
 * States: `pending` -> `awaiting_approval` -> `approved` -> `running` -> `completed` |
 * `failed`, or `awaiting_approval` -> `rejected` (also on timeout without approval).
 */
export function requiresApproval<T>(
  engine: Engine,
  options: RequiresApprovalOptions,
  fn: (decision: ApprovalDecision) => T | Promise<T>,
): ApprovalTask<T> {
  const task = new Task<T>();
  void drive(engine, options, fn, task).catch((error) => {
    task.asked.reject(error);
    task.move('failed');
    task.settle.reject(error);
  });
  return task;
}

async function drive<T>(
  engine: Engine,
  options: RequiresApprovalOptions,
  fn: (decision: ApprovalDecision) => T | Promise<T>,
  task: Task<T>,
): Promise<void> {
  const tenantId = options.tenantId ?? DEFAULT_TENANT;
  const config = compact({
    task_type: 'approval',
    title: options.title,
    description: options.description,
    assignee_ref: options.assignee,
    priority: options.priority,
    timeout: options.timeout,
    on_timeout: options.on_timeout,
    sla_warning: options.sla_warning,
    sla_breach: options.sla_breach,
    escalation_chain: options.escalation_chain,
    auto_approve_after: options.auto_approve_after,
    required_approvers: options.required_approvers,
  });
  // One version per distinct request shape: runs already waiting keep the definition they started with.
  const segment: SegmentDefinition = {
    segment_id: APPROVAL_SEGMENT_ID,
    name: 'Approval',
    version: `approval-${sha256(canonicalJson(config)).slice(0, 16)}`,
    steps: [{ step_id: 'approval', step_type: 'human_task', config }],
    edges: [],
  };
  const run = await engine.startRun({
    segment,
    input: options.context ?? null,
    tenantId,
    actor: options.actor,
    idempotencyKey: options.idempotencyKey,
  });
  task.runId = run.runId;

  await new Promise<void>((resolve, reject) => {
    let finished = false;
    const finish = (error?: unknown) => {
      if (finished) return;
      finished = true;
      off();
      if (error) reject(error);
      else resolve();
    };
    const check = coalesce(async () => {
      if (!finished && (await observe(engine, tenantId, task))) finish();
    }, finish);
    const off = engine.onEvent(
      (event) => {
        if (event.run_id === run.runId) check();
      },
      { tenantId },
    );
    check();
  });

  if (task.state === 'failed') return;
  if (task.state === 'rejected') {
    const d = task.decision!;
    task.settle.reject(
      new LlmteamError(
        'LLMT_E_APPROVAL_REJECTED',
        d.action === 'timeout'
          ? `"${options.title}" was not approved in time; the work did not run`
          : `"${options.title}" was rejected by ${d.by}${d.comment ? ` (${d.comment})` : ''}; the work did not run`,
        { details: { state: 'rejected', decision: d } },
      ),
    );
    return;
  }
  task.move('running');
  try {
    const value = await fn(task.decision!);
    task.move('completed');
    task.settle.resolve(value);
  } catch (error) {
    task.move('failed');
    task.settle.reject(error);
  }
}

/** Reads the run and moves the task; true once the approval is decided (or the run ended otherwise). */
async function observe<T>(engine: Engine, tenantId: string, task: Task<T>): Promise<boolean> {
  const view = await engine.getRun(task.runId!, { tenantId });
  if (!view)
    throw new LlmteamError('LLMT_E_RUN_NOT_FOUND', `the approval run "${task.runId}" no longer exists`);
  const { run, steps } = view;
  if (!task.interactionId) {
    const [request] = await engine.listInteractions({ tenantId, runId: run.runId });
    if (request) {
      task.interactionId = request.interactionId;
      task.asked.resolve(request.interactionId);
      task.move('awaiting_approval');
    }
  }
  if (run.status === 'completed') {
    const outputs = steps.find((s) => s.stepId === 'approval')?.outputs ?? {};
    const response = (outputs.output ?? {}) as Record<string, unknown>;
    task.decision = {
      interactionId: String(response.interaction_id ?? task.interactionId),
      action: String(response.action),
      by: String(response.by),
      comment: response.comment as string | undefined,
    };
    task.move(Object.hasOwn(outputs, 'approved') ? 'approved' : 'rejected');
    return true;
  }
  if (run.status === 'failed' || run.status === 'cancelled') {
    const error = runError(run);
    task.asked.reject(error);
    task.move('failed');
    task.settle.reject(error);
    return true;
  }
  return false;
}

function runError(run: RunRecord): LlmteamError {
  if (run.error && isLlmteamError(run.error)) return run.error;
  return new LlmteamError(
    run.error?.code ?? 'LLMT_E_TASK_STATE',
    run.error?.message ?? `the approval run "${run.runId}" was ${run.status}`,
    {
      details: { state: 'failed', runStatus: run.status },
    },
  );
}
