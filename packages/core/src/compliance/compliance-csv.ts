import { LlmteamError } from '../errors.js';
import { COMPLIANCE_CSV_TABLES, type ComplianceCsvTable, type ComplianceReport } from './compliance-types.js';

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
function field(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csv(header: string[], rows: unknown[][]): string {
  return `${[header, ...rows].map((row) => row.map(field).join(',')).join('\r\n')}\r\n`;
}

function summary(r: ComplianceReport): unknown[][] {
  const a = r.approvals;
  return [
    ['tenant', r.tenantId],
    ['from', r.from],
    ['to', r.to],
    ['generated_at', r.generatedAt],
    ['audit_chain_valid', r.audit.verification.valid],
    ['audit_entries_checked', r.audit.verification.checked],
    ['audit_entries_in_range', r.audit.entriesInRange],
    ['events', r.events.total],
    ['runs', r.runs.length],
    ['requests', a.requested],
    ['requests_answered', a.answered],
    ['approved', a.approved],
    ['rejected', a.rejected],
    ['changes_requested', a.changesRequested],
    ['auto_approved', a.autoApproved],
    ['timed_out', a.timedOut],
    ['response_ms_p50', a.responseTimes.p50Ms],
    ['response_ms_p95', a.responseTimes.p95Ms],
    ['response_ms_max', a.responseTimes.maxMs],
    ['sla_breaches', r.slaBreaches.length],
    ['escalations', r.escalations.length],
    ['tool_approvals_requested', r.toolApprovals.requested],
    ['tool_approvals_decided', r.toolApprovals.decided],
    ['tool_approvals_with_edits', r.toolApprovals.approvedWithEdits],
    ['action_calls', r.actions.calls],
    ['model_calls', r.tokens.calls],
    ['input_tokens', r.tokens.inputTokens],
    ['output_tokens', r.tokens.outputTokens],
  ];
}

/**
 * One table of a compliance report as CSV (RFC 4180, CRLF line ends, a header row):
 * `summary` (metric, value), `event_types`, `actors`, `approvals`, `sla_breaches`,
 * `escalations`, `actions`, `tokens` or `record_keeping` (one row per run: period of use,
 * segment version, input reference, who oversaw it and what they decided).
 */
export function complianceReportCsv(report: ComplianceReport, table: ComplianceCsvTable = 'summary'): string {
  switch (table) {
    case 'summary':
      return csv(['metric', 'value'], summary(report));
    case 'event_types':
      return csv(['type', 'count'], Object.entries(report.events.byType).sort());
    case 'actors':
      return csv(
        ['actor', 'action', 'count'],
        Object.entries(report.audit.byActor)
          .sort()
          .flatMap(([actor, actions]) =>
            Object.entries(actions)
              .sort()
              .map(([action, n]) => [actor, action, n]),
          ),
      );
    case 'approvals':
      return csv(
        [
          'interaction_id',
          'run_id',
          'step_id',
          'type',
          'requested_at',
          'answered_at',
          'response_ms',
          'decision',
          'by',
          'auto',
        ],
        report.approvals.items.map((i) => [
          i.interactionId,
          i.runId,
          i.stepId,
          i.type,
          i.requestedAt,
          i.answeredAt,
          i.responseMs,
          i.decision,
          i.by,
          i.auto,
        ]),
      );
    case 'sla_breaches':
      return csv(
        ['interaction_id', 'run_id', 'at'],
        report.slaBreaches.map((s) => [s.interactionId, s.runId, s.at]),
      );
    case 'escalations':
      return csv(
        ['interaction_id', 'run_id', 'level', 'at'],
        report.escalations.map((e) => [e.interactionId, e.runId, e.level, e.at]),
      );
    case 'actions':
      return csv(
        ['action', 'status', 'count'],
        Object.entries(report.actions.byAction)
          .sort()
          .flatMap(([name, statuses]) =>
            Object.entries(statuses)
              .sort()
              .map(([status, n]) => [name, status, n]),
          ),
      );
    case 'tokens':
      return csv(
        ['provider', 'model', 'calls', 'input_tokens', 'output_tokens'],
        report.tokens.byModel.map((t) => [t.provider, t.model, t.calls, t.inputTokens, t.outputTokens]),
      );
    case 'record_keeping':
      return csv(
        [
          'run_id',
          'segment_id',
          'segment_version',
          'started_at',
          'ended_at',
          'status',
          'input_sha256',
          'parent_run_id',
          'overseen_by',
          'decisions',
        ],
        report.runs.map((r) => [
          r.runId,
          r.segmentId,
          r.segmentVersion,
          r.startedAt,
          r.endedAt,
          r.status,
          r.inputSha256,
          r.parentRunId,
          [...new Set(r.oversight.map((o) => o.by))].join(' '),
          r.oversight.map((o) => `${o.at} ${o.by} ${o.kind}:${o.decision} ${o.subject}`).join('; '),
        ]),
      );
    default:
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `table must be one of ${COMPLIANCE_CSV_TABLES.join(', ')}, got ${JSON.stringify(table)}`,
        { details: { field: 'table' } },
      );
  }
}
