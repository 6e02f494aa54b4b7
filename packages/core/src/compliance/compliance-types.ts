import type { AuditVerification } from '../audit/hash-chain.js';

/** The `format` of a {@link ComplianceReport}; a later shape gets a new number. */
export const COMPLIANCE_REPORT_FORMAT = 'llmteam.compliance-report/1';

/** What {@link buildComplianceReport} reports on: one tenant over a closed time range. */
export interface ComplianceReportQuery {
  tenantId: string;
  /** Start of the range (ISO 8601), inclusive. */
  from: string;
  /** End of the range (ISO 8601), inclusive. */
  to: string;
}

/** Response times of closed requests, in milliseconds. */
export interface ResponseTimes {
  count: number;
  p50Ms?: number;
  p95Ms?: number;
  maxMs?: number;
}

/** One closed request: who decided what, and how long it took from the request. */
export interface ApprovalRecord {
  interactionId: string;
  runId: string;
  stepId?: string;
  /** The request's kind (`approval`, `review`, `input`, ...). */
  type?: string;
  requestedAt?: string;
  answeredAt: string;
  responseMs?: number;
  /** The closing action (`approve`, `reject`, `request_changes`, `submit`, ..., `timeout`). */
  decision: string;
  by: string;
  /** Answered by the request's `auto_approve_after` timer rather than a person. */
  auto: boolean;
}

/** A decision a person (or the system, for auto-approvals) took on a run. */
export interface OversightRecord {
  at: string;
  by: string;
  /** `interaction` (a human request), `tool_approval` (an agent's tool call) or `command` (cancel, pause, resume). */
  kind: 'interaction' | 'tool_approval' | 'command';
  decision: string;
  /** The interaction id, the tool's name, or the command. */
  subject: string;
}

/**
 * One run as record-keeping in the style of the EU AI Act, article 12 (logging over the
 * lifetime of a high-risk system): the period of use, the exact segment version, a
 * reference to the input (its SHA-256, never the input itself) and the people who oversaw
 * the run with what they decided.
 */
export interface RunRecordKeeping {
  runId: string;
  segmentId: string;
  segmentVersion: string;
  /** Start of the period of use: the run's creation. */
  startedAt: string;
  /** End of the period of use, when the run has ended. */
  endedAt?: string;
  status: string;
  /** SHA-256 of the canonical JSON of the run's stored input (sealed values as stored: encrypted). */
  inputSha256?: string;
  /** The run was erased (retention or erasure) after the range's events: no input reference. */
  erased?: boolean;
  /** Child runs name the run that started them. */
  parentRunId?: string;
  oversight: OversightRecord[];
}

/**
 * A tenant's compliance report over a time range, built from its stored events and audit
 * log: what happened, who decided, how fast, and whether the log is intact. It carries ids,
 * names, counts and times only: never an input, an output, a comment or a sealed value.
 */
export interface ComplianceReport {
  format: typeof COMPLIANCE_REPORT_FORMAT;
  tenantId: string;
  from: string;
  to: string;
  generatedAt: string;
  /** The tenant's whole audit chain, verified when the report was made (against its newest signed checkpoint, through the engine). */
  audit: {
    verification: Pick<AuditVerification, 'valid' | 'checked' | 'brokenAt' | 'headHash' | 'checkpoint'>;
    /** Audit entries within the range. */
    entriesInRange: number;
    /** Audit entries within the range by actor, then by action. */
    byActor: Record<string, Record<string, number>>;
  };
  events: { total: number; byType: Record<string, number> };
  approvals: {
    requested: number;
    answered: number;
    approved: number;
    rejected: number;
    changesRequested: number;
    autoApproved: number;
    timedOut: number;
    byDecision: Record<string, number>;
    responseTimes: ResponseTimes;
    items: ApprovalRecord[];
  };
  slaBreaches: Array<{ interactionId: string; runId: string; at: string }>;
  escalations: Array<{ interactionId: string; runId: string; level: number; at: string }>;
  toolApprovals: {
    requested: number;
    decided: number;
    byDecision: Record<string, number>;
    approvedWithEdits: number;
  };
  /** Action calls by action name, then by status. */
  actions: {
    calls: number;
    byStatus: Record<string, number>;
    byAction: Record<string, Record<string, number>>;
  };
  tokens: {
    calls: number;
    inputTokens: number;
    outputTokens: number;
    byModel: Array<{
      provider: string;
      model: string;
      calls: number;
      inputTokens: number;
      outputTokens: number;
    }>;
  };
  runs: RunRecordKeeping[];
}

/** The tables of {@link complianceReportCsv}. */
export const COMPLIANCE_CSV_TABLES = [
  'summary',
  'event_types',
  'actors',
  'approvals',
  'sla_breaches',
  'escalations',
  'actions',
  'tokens',
  'record_keeping',
] as const;

/** One table of {@link complianceReportCsv}. */
export type ComplianceCsvTable = (typeof COMPLIANCE_CSV_TABLES)[number];
