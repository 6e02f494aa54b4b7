/**
 * The outputs of a compliance report: JSON, CSV (one file per table) and the record-keeping
 * export shaped for the EU AI Act (Regulation (EU) 2024/1689), each as text with its media
 * type, for a command line or an API to hand out as they are.
 */
import { LlmteamError } from '../errors.js';
import { complianceReportCsv } from './compliance-csv.js';
import {
  COMPLIANCE_CSV_TABLES,
  type ComplianceCsvTable,
  type ComplianceReport,
  type RunRecordKeeping,
} from './compliance-types.js';

/** The formats of {@link renderComplianceReport}. */
export const COMPLIANCE_FORMATS = ['json', 'csv', 'ai-act'] as const;
/** `json` (the report), `csv` (its tables) or `ai-act` (the record-keeping export, JSON). */
export type ComplianceFormat = (typeof COMPLIANCE_FORMATS)[number];

/** The `format` of an {@link AiActRecords} export; a later shape gets a new number. */
export const AI_ACT_RECORDS_FORMAT = 'llmteam.ai-act-records/1';

/** The provisions of Regulation (EU) 2024/1689 each {@link AiActRecords} record serves. */
export const AI_ACT_BASIS: readonly string[] = [
  'Art. 12(1): automatic recording of events over the lifetime of the system',
  'Art. 12(2)(a): the segment version that ran, to tell a substantial modification',
  'Art. 12(2)(c) and Art. 26(5): monitoring of the operation of the system',
  'Art. 12(3)(a): the period of each use (start and end date and time)',
  'Art. 12(3)(c), by reference: the input of each use as a SHA-256 content hash, never the input',
  'Art. 12(3)(d) and Art. 14(5): the natural persons who verified the results, and what they decided',
  'Art. 19(1) and Art. 26(6): logs kept for at least six months (the store keeps them; retention decides how long)',
];

/** The record-keeping export of a report: one record per run with events in the range. */
export interface AiActRecords {
  format: typeof AI_ACT_RECORDS_FORMAT;
  tenantId: string;
  from: string;
  to: string;
  generatedAt: string;
  /** The provisions the records serve ({@link AI_ACT_BASIS}). */
  basis: string[];
  /** Whether the audit log the records rest on verified when the report was made. */
  auditChainValid: boolean;
  records: RunRecordKeeping[];
}

/** The EU AI Act record-keeping export of a report (its `runs`, with the provisions they serve). */
export function aiActRecords(report: ComplianceReport): AiActRecords {
  return {
    format: AI_ACT_RECORDS_FORMAT,
    tenantId: report.tenantId,
    from: report.from,
    to: report.to,
    generatedAt: report.generatedAt,
    basis: [...AI_ACT_BASIS],
    auditChainValid: report.audit.verification.valid,
    records: report.runs,
  };
}

/** One rendered output: its text and media type. */
export interface RenderedCompliance {
  format: ComplianceFormat;
  contentType: 'application/json' | 'text/csv';
  body: string;
}

/**
 * Renders a report as `json`, `csv` (the one table `table` names, `summary` by default;
 * {@link complianceCsvTables} gives every table) or `ai-act`.
 * @throws LlmteamError `LLMT_E_INVALID_ARGUMENT` naming `format` or `table`
 */
export function renderComplianceReport(
  report: ComplianceReport,
  format: ComplianceFormat,
  table?: ComplianceCsvTable,
): RenderedCompliance {
  switch (format) {
    case 'json':
      return { format, contentType: 'application/json', body: `${JSON.stringify(report, null, 2)}\n` };
    case 'ai-act':
      return {
        format,
        contentType: 'application/json',
        body: `${JSON.stringify(aiActRecords(report), null, 2)}\n`,
      };
    case 'csv':
      return { format, contentType: 'text/csv', body: complianceReportCsv(report, table ?? 'summary') };
    default:
      throw new LlmteamError(
        'LLMT_E_INVALID_ARGUMENT',
        `format must be one of ${COMPLIANCE_FORMATS.join(', ')}, got ${JSON.stringify(format)}`,
        { details: { field: 'format' } },
      );
  }
}

/** Every CSV table of a report, in {@link COMPLIANCE_CSV_TABLES} order (one file each). */
export function complianceCsvTables(
  report: ComplianceReport,
): Array<{ table: ComplianceCsvTable; csv: string }> {
  return COMPLIANCE_CSV_TABLES.map((table) => ({ table, csv: complianceReportCsv(report, table) }));
}
