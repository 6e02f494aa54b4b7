import type { Context } from '@opentelemetry/api';
import type { TypedAuditDraft } from '../worktrail/audit-actions.js';
import type { ActionCallData, WorktrailEventDraft } from '../worktrail/event-types.js';
import type { ActionRegistry } from './action-registry.js';
import type { ActionExecuteOptions, ActionRecord, ActionResult } from './types.js';

/** What a step handler uses to call actions: `ctx.actions.execute(name, input)`. */
export interface StepActions {
  /**
   * Calls a named action under its limits and schemas. The call is audited and an
   * `action.completed` / `action.failed` event appended in the same commit as the step's
   * result. Resolves with the result of a completed call; rejects with a typed error whose
   * `details.result` is the {@link ActionResult} otherwise.
   */
  execute(name: string, input: unknown, options?: ActionExecuteOptions): Promise<ActionResult>;
  /** True when an action of that name is declared or registered. */
  has(name: string): boolean;
}

/** The step a {@link StepActionsImpl} calls for. */
export interface StepActionsScope {
  tenantId: string;
  runId: string;
  stepId: string;
  attempt: number;
  idempotencyKey: string;
  signal: AbortSignal;
  /** The step attempt's place in its trace. */
  trace?: { context: Context };
}

/** Events and audit entries a step's calls leave for its next commit. */
export interface ActionCommitRecords {
  events: WorktrailEventDraft<'action.completed' | 'action.failed'>[];
  audit: TypedAuditDraft<'action.call'>[];
}

/** Audit entry and event for one call. */
export function actionCommitRecords(
  records: ActionRecord[],
  scope: { tenantId: string; runId?: string; stepId?: string },
): ActionCommitRecords {
  const out: ActionCommitRecords = { events: [], audit: [] };
  for (const { result, actor } of records) {
    const summary: ActionCallData = {
      action: result.action,
      action_type: result.type,
      status: result.status,
      duration_ms: result.duration_ms,
      retry_count: result.retry_count,
      idempotency_key: result.idempotency_key,
      correlation_id: result.correlation_id,
      ...(result.response_code !== undefined ? { response_code: result.response_code } : {}),
      ...(result.error_type ? { error_type: result.error_type, error_message: result.error_message } : {}),
    };
    out.events.push({
      type: result.status === 'completed' ? 'action.completed' : 'action.failed',
      data: summary,
    });
    out.audit.push({
      tenantId: scope.tenantId,
      action: 'action.call',
      actor,
      runId: scope.runId,
      target: result.action,
      data: { ...summary, ...(scope.stepId ? { step_id: scope.stepId } : {}) },
      timestamp: result.completed_at ?? result.started_at,
    });
  }
  return out;
}

/** `ctx.actions` of one handler invocation; collects the calls' records for the commit. */
export class StepActionsImpl implements StepActions {
  private calls = 0;
  private records: ActionRecord[] = [];

  constructor(
    private readonly registry: ActionRegistry,
    private readonly scope: StepActionsScope,
  ) {}

  has(name: string): boolean {
    return this.registry.has(name);
  }

  execute(name: string, input: unknown, options: ActionExecuteOptions = {}): Promise<ActionResult> {
    this.calls++;
    // The first call of an attempt sends the step's own key; later ones a numbered one, so
    // each call is deduplicated on its own and a re-run sends the same keys again.
    const key =
      options.idempotencyKey ??
      (this.calls === 1 ? this.scope.idempotencyKey : `${this.scope.idempotencyKey}:${this.calls}`);
    return this.registry.execute(
      name,
      input,
      {
        tenantId: this.scope.tenantId,
        runId: this.scope.runId,
        stepId: this.scope.stepId,
        attempt: this.scope.attempt,
        idempotencyKey: key,
        correlationId: options.correlationId,
        actor: options.actor ?? `run:${this.scope.runId}`,
        signal: this.scope.signal,
        traceContext: options.traceContext ?? this.scope.trace?.context,
      },
      (record) => this.records.push(record),
    );
  }

  /** Hands over (and forgets) the records gathered since the last call. */
  take(): ActionCommitRecords | undefined {
    if (!this.records.length) return undefined;
    const records = this.records;
    this.records = [];
    return actionCommitRecords(records, this.scope);
  }
}
