import { type AuditVerification, verifyAuditChain } from '../audit/hash-chain.js';
import { LlmteamError } from '../errors.js';
import { queryEvents } from '../store/event-query.js';
import type { Store, WorktrailEvent } from '../store/types.js';
import { canonicalJson, sha256 } from '../util/canonical-json.js';
import {
  type ApprovalRecord,
  COMPLIANCE_REPORT_FORMAT,
  type ComplianceReport,
  type ComplianceReportQuery,
  type OversightRecord,
  type ResponseTimes,
  type RunRecordKeeping,
} from './compliance-types.js';

export * from './compliance-types.js';

/** The subject auto-approvals are answered as. */
const AUTO_APPROVER = 'system:auto-approve';
const PAGE = 1000;
const RUN_ENDS = new Set(['run.completed', 'run.failed', 'run.cancelled']);

function checkTime(value: unknown, name: 'from' | 'to'): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `${name} must be an ISO 8601 time such as 2026-01-31T00:00:00Z, got ${JSON.stringify(value)}`,
      { details: { field: name } },
    );
  return ms;
}

/** Checks a report query, with an error naming the field and the fix. */
export function checkComplianceReportQuery(query: ComplianceReportQuery): void {
  if (typeof query.tenantId !== 'string' || !query.tenantId)
    throw new LlmteamError('LLMT_E_INVALID_ARGUMENT', 'tenantId is required: name the tenant to report on', {
      details: { field: 'tenantId' },
    });
  const from = checkTime(query.from, 'from');
  const to = checkTime(query.to, 'to');
  if (from > to)
    throw new LlmteamError(
      'LLMT_E_INVALID_ARGUMENT',
      `from (${query.from}) is after to (${query.to}): give the earlier time as from`,
      { details: { field: 'from' } },
    );
}

const bump = (counts: Record<string, number>, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};

function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function responseTimes(items: ApprovalRecord[]): ResponseTimes {
  const ms = items.flatMap((i) => (i.responseMs === undefined ? [] : [i.responseMs])).sort((a, b) => a - b);
  return { count: ms.length, p50Ms: percentile(ms, 50), p95Ms: percentile(ms, 95), maxMs: ms.at(-1) };
}

type Data = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Accumulates the report over the range's events, page by page. */
class ReportBuilder {
  readonly byType: Record<string, number> = {};
  total = 0;
  readonly requested = new Map<string, { at: string; type?: string; stepId?: string }>();
  readonly approvals: ApprovalRecord[] = [];
  readonly slaBreaches: ComplianceReport['slaBreaches'] = [];
  readonly escalations: ComplianceReport['escalations'] = [];
  readonly tool = {
    requested: 0,
    decided: 0,
    byDecision: {} as Record<string, number>,
    approvedWithEdits: 0,
  };
  readonly actions = {
    calls: 0,
    byStatus: {} as Record<string, number>,
    byAction: {} as Record<string, Record<string, number>>,
  };
  readonly tokens = new Map<
    string,
    { provider: string; model: string; calls: number; in: number; out: number }
  >();
  readonly oversight = new Map<string, OversightRecord[]>();
  readonly ended = new Map<string, string>();
  timedOut = 0;

  private oversee(runId: string, record: OversightRecord): void {
    const list = this.oversight.get(runId) ?? [];
    list.push(record);
    this.oversight.set(runId, list);
  }

  add(event: WorktrailEvent): void {
    this.total++;
    bump(this.byType, event.type);
    if (!this.oversight.has(event.run_id)) this.oversight.set(event.run_id, []);
    const data = (event.data ?? {}) as Data;
    const at = event.timestamp;
    switch (event.type) {
      case 'interaction.requested':
        this.requested.set(str(data.interaction_id), { at, type: str(data.type), stepId: event.step_id });
        break;
      case 'interaction.responded':
        if (data.final === true) this.answer(event, str(data.action), str(data.by));
        break;
      case 'interaction.timed_out':
        this.timedOut++;
        this.answer(event, str(data.resolved_as) || str(data.action) || 'timeout', str(data.by) || 'system');
        break;
      case 'interaction.sla_breached':
        this.slaBreaches.push({ interactionId: str(data.interaction_id), runId: event.run_id, at });
        break;
      case 'interaction.escalated':
        this.escalations.push({
          interactionId: str(data.interaction_id),
          runId: event.run_id,
          level: num(data.level),
          at,
        });
        break;
      case 'tool.approval.requested':
        this.tool.requested++;
        break;
      case 'tool.approval.decided': {
        this.tool.decided++;
        const action = str(data.action);
        bump(this.tool.byDecision, action);
        if (action === 'approve' && data.edited === true) this.tool.approvedWithEdits++;
        const subject = str(data.tool);
        this.oversee(event.run_id, {
          at,
          by: str(data.by),
          kind: 'tool_approval',
          decision: action,
          subject,
        });
        break;
      }
      case 'action.completed':
      case 'action.failed': {
        const status = str(data.status) || (event.type === 'action.failed' ? 'failed' : 'completed');
        this.actions.calls++;
        bump(this.actions.byStatus, status);
        const name = str(data.action);
        this.actions.byAction[name] ??= {};
        bump(this.actions.byAction[name], status);
        break;
      }
      case 'model.call.completed': {
        const usage = (data.usage ?? {}) as Data;
        const provider = str(data.provider);
        const model = str(data.model);
        const key = `${provider}\u0000${model}`;
        const row = this.tokens.get(key) ?? { provider, model, calls: 0, in: 0, out: 0 };
        row.calls++;
        row.in += num(usage.input_tokens);
        row.out += num(usage.output_tokens);
        this.tokens.set(key, row);
        break;
      }
      case 'run.cancelled':
      case 'run.paused':
      case 'run.resumed':
        this.oversee(event.run_id, {
          at,
          by: str(data.actor),
          kind: 'command',
          decision: event.type.slice('run.'.length),
          subject: event.run_id,
        });
        break;
    }
    if (RUN_ENDS.has(event.type)) this.ended.set(event.run_id, at);
  }

  private answer(event: WorktrailEvent, decision: string, by: string): void {
    const id = str((event.data as Data).interaction_id);
    const request = this.requested.get(id);
    const requestedAt = request?.at;
    const responseMs = requestedAt ? Date.parse(event.timestamp) - Date.parse(requestedAt) : undefined;
    this.approvals.push({
      interactionId: id,
      runId: event.run_id,
      ...((request?.stepId ?? event.step_id) ? { stepId: request?.stepId ?? event.step_id } : {}),
      ...(request?.type ? { type: request.type } : {}),
      ...(requestedAt ? { requestedAt } : {}),
      answeredAt: event.timestamp,
      ...(responseMs !== undefined ? { responseMs } : {}),
      decision,
      by,
      auto: by === AUTO_APPROVER,
    });
    this.oversee(event.run_id, { at: event.timestamp, by, kind: 'interaction', decision, subject: id });
  }
}

/**
 * Builds a tenant's compliance report over `[from, to]` from its stored events (read a
 * page at a time, so a long range does not load the log at once), its audit entries and
 * its runs. Requests made before `from` and answered within the range take their request
 * time from the stored interaction. The whole audit chain is verified.
 */
export async function buildComplianceReport(
  store: Store,
  query: ComplianceReportQuery,
  now: () => number = Date.now,
  /**
   * Verifies the tenant's whole audit chain; the engine checks it against the newest signed
   * checkpoint, so a truncated tail shows. @default the chain recomputed from the store
   */
  verify?: () => Promise<AuditVerification>,
): Promise<ComplianceReport> {
  checkComplianceReportQuery(query);
  const { tenantId, from, to } = query;
  const b = new ReportBuilder();
  let after: string | undefined;
  do {
    const page = await queryEvents(store, tenantId, { from, to, limit: PAGE, after });
    for (const event of page.items) b.add(event);
    after = page.nextCursor;
  } while (after !== undefined);

  // Requests made before the range: their request time is the stored interaction's.
  for (const item of b.approvals) {
    if (item.requestedAt) continue;
    const record = await store.getInteraction(tenantId, item.interactionId);
    if (!record) continue;
    item.requestedAt = record.createdAt;
    item.type ??= record.type;
    item.stepId ??= record.stepId;
    item.responseMs = Date.parse(item.answeredAt) - Date.parse(record.createdAt);
  }

  const [verification, inRange] = await Promise.all([
    verify ? verify() : store.listAudit(tenantId).then((chain) => verifyAuditChain(chain)),
    store.listAudit(tenantId, { from, to }),
  ]);
  const byActor: Record<string, Record<string, number>> = {};
  for (const entry of inRange) {
    byActor[entry.actor] ??= {};
    bump(byActor[entry.actor]!, entry.action);
  }

  const runs: RunRecordKeeping[] = [];
  for (const [runId, oversight] of b.oversight) {
    const run = await store.getRun(tenantId, runId);
    runs.push(
      run
        ? {
            runId,
            segmentId: run.segmentId,
            segmentVersion: run.segmentVersion,
            startedAt: run.createdAt,
            ...(run.completedAt || b.ended.has(runId)
              ? { endedAt: run.completedAt ?? b.ended.get(runId) }
              : {}),
            status: run.status,
            inputSha256: sha256(canonicalJson(run.input ?? null)),
            ...(run.parent ? { parentRunId: run.parent.runId } : {}),
            oversight,
          }
        : {
            runId,
            segmentId: '',
            segmentVersion: '',
            startedAt: '',
            status: 'erased',
            erased: true,
            oversight,
          },
    );
  }
  runs.sort((x, y) => (x.startedAt < y.startedAt ? -1 : x.startedAt > y.startedAt ? 1 : 0));

  const decisions: Record<string, number> = {};
  for (const a of b.approvals) bump(decisions, a.decision);
  return {
    format: COMPLIANCE_REPORT_FORMAT,
    tenantId,
    from,
    to,
    generatedAt: new Date(now()).toISOString(),
    audit: {
      verification: {
        valid: verification.valid,
        checked: verification.checked,
        ...(verification.brokenAt ? { brokenAt: verification.brokenAt } : {}),
        ...(verification.headHash ? { headHash: verification.headHash } : {}),
        ...(verification.checkpoint ? { checkpoint: verification.checkpoint } : {}),
      },
      entriesInRange: inRange.length,
      byActor,
    },
    events: { total: b.total, byType: b.byType },
    approvals: {
      requested: b.requested.size,
      answered: b.approvals.length,
      approved: decisions.approve ?? 0,
      rejected: decisions.reject ?? 0,
      changesRequested: decisions.request_changes ?? 0,
      autoApproved: b.approvals.filter((a) => a.auto).length,
      timedOut: b.timedOut,
      byDecision: decisions,
      responseTimes: responseTimes(b.approvals),
      items: b.approvals,
    },
    slaBreaches: b.slaBreaches,
    escalations: b.escalations,
    toolApprovals: b.tool,
    actions: b.actions,
    tokens: {
      calls: [...b.tokens.values()].reduce((n, t) => n + t.calls, 0),
      inputTokens: [...b.tokens.values()].reduce((n, t) => n + t.in, 0),
      outputTokens: [...b.tokens.values()].reduce((n, t) => n + t.out, 0),
      byModel: [...b.tokens.values()].map((t) => ({
        provider: t.provider,
        model: t.model,
        calls: t.calls,
        inputTokens: t.in,
        outputTokens: t.out,
      })),
    },
    runs,
  };
}
