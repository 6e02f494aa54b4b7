import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type AiActRecords,
  COMPLIANCE_CSV_TABLES,
  type ComplianceReport,
  complianceCsvTables,
  MemoryStore,
  renderComplianceReport,
} from '../index.js';
import {
  type ComplianceScenario,
  expectScenarioAiAct,
  expectScenarioReport,
  parseCsv,
  SCENARIO_START,
  seedComplianceScenario,
} from './compliance.test-support.js';

let s: ComplianceScenario;
let report: ComplianceReport;
beforeAll(async () => {
  s = await seedComplianceScenario(new MemoryStore());
  report = await s.engine.complianceReport({ from: SCENARIO_START, to: s.end });
});
afterAll(() => s.engine.stop({ graceMs: 200 }));

describe('compliance report formats', () => {
  test('the report counts approvals, a rejection, an SLA breach, an escalation, an auto-approval, a tool approval, actions and tokens', () => {
    expectScenarioReport(report, s);
  });

  test('the audit chain is verified against its newest signed checkpoint', () => {
    // The hourly checkpoint schedule ran on the manual clock at 13:10.
    expect(report.audit.verification.checkpoint).toMatchObject({ timestamp: '2026-06-01T13:10:00.000Z' });
    expect(report.audit.verification.checkpoint!.size).toBeLessThanOrEqual(report.audit.verification.checked);
  });

  test('ai-act names each run, its period of use, segment version, input hash and who decided', () => {
    const rendered = renderComplianceReport(report, 'ai-act');
    expect(rendered.contentType).toBe('application/json');
    expectScenarioAiAct(JSON.parse(rendered.body) as AiActRecords, s);
  });

  test('every CSV table reads back to the report', () => {
    const tables = Object.fromEntries(complianceCsvTables(report).map((t) => [t.table, parseCsv(t.csv)]));
    expect(Object.keys(tables)).toEqual([...COMPLIANCE_CSV_TABLES]);
    const summary = Object.fromEntries(tables.summary!.map((r) => [r.metric, r.value]));
    expect(summary).toMatchObject({
      approved: '5',
      rejected: '1',
      auto_approved: '1',
      sla_breaches: '1',
      escalations: '1',
      tool_approvals_decided: '1',
      response_ms_p50: '600000',
      response_ms_p95: '8100000',
      input_tokens: '320',
      audit_chain_valid: 'true',
    });
    expect(tables.approvals!.map((r) => Number(r.response_ms))).toEqual(
      report.approvals.items.map((i) => i.responseMs),
    );
    expect(tables.actions).toEqual([
      { action: 'book', status: 'completed', count: '1' },
      { action: 'book', status: 'failed', count: '1' },
      { action: 'lookup', status: 'completed', count: '1' },
    ]);
    expect(tables.record_keeping!.map((r) => r.input_sha256)).toEqual(report.runs.map((r) => r.inputSha256));
    expect(renderComplianceReport(report, 'csv', 'tokens').body).toBe(
      complianceCsvTables(report).find((t) => t.table === 'tokens')!.csv,
    );
  });

  test('the sealed canary is in the store but in no format', async () => {
    // The failed booking's error and every answer's comment name it; the input holds it sealed.
    expect(JSON.stringify(await s.engine.getRun(s.runs.r8))).toContain(s.canary);
    const bodies = [
      renderComplianceReport(report, 'json').body,
      renderComplianceReport(report, 'ai-act').body,
      ...complianceCsvTables(report).map((t) => t.csv),
    ];
    for (const body of bodies) expect(body).not.toContain(s.canary);
    expect(bodies.join('')).toContain(s.runs.r8);
  });

  test('an unknown format is refused naming the field', () => {
    expect(() => renderComplianceReport(report, 'pdf' as never)).toThrow(
      expect.objectContaining({ code: 'LLMT_E_INVALID_ARGUMENT', details: { field: 'format' } }),
    );
  });
});
