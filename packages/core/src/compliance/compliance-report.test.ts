import { afterEach, describe, expect, test } from 'vitest';
import {
  buildComplianceReport,
  canonicalJson,
  complianceReportCsv,
  createEngine,
  type Engine,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
  type Store,
  sha256,
} from '../index.js';

const MIN = 60_000;
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 200 });
});

const loan: SegmentDefinition = {
  segment_id: 'loan',
  version: '1.0.0',
  steps: [
    { step_id: 'score', step_type: 'action', config: { action: 'credit_score' } },
    {
      step_id: 'decide',
      step_type: 'human_task',
      config: {
        task_type: 'approval',
        title: 'Grant the loan?',
        assignee_ref: 'alice',
        sla_breach: 'PT1H',
        timeout: 'PT3H',
        on_timeout: 'escalate',
        escalation_chain: ['bob'],
      },
    },
  ],
  edges: [{ source_step: 'score', target_step: 'decide' }],
};

const small: SegmentDefinition = {
  segment_id: 'small_loan',
  version: '2.1.0',
  steps: [
    {
      step_id: 'decide',
      step_type: 'human_task',
      config: { task_type: 'approval', title: 'Grant?', assignee_ref: 'alice', auto_approve_after: 'PT5M' },
    },
  ],
};

/**
 * Run 1: approved by alice after 10 min. Run 2: its credit score action fails. Run 3:
 * rejected by alice after 2 h, past its 1 h SLA. Run 5: past its SLA too, escalated to bob
 * at 3 h, approved by bob 15 min later. Run 4: auto-approved after 5 min.
 */
async function scenario(store: Store = new MemoryStore()) {
  const clock = new ManualClock(Date.parse('2026-05-04T08:00:00Z'));
  const engine = createEngine({ store, clock });
  engines.push(engine);
  engine.actions.defineFunction('credit_score', (input) => {
    if ((input as { fail?: boolean }).fail) throw new Error('bureau down');
    return { score: 700 };
  });
  await engine.start();
  await engine.upsertSegment(loan);
  await engine.upsertSegment(small);
  const poll = () => (engine as unknown as { poll(): Promise<void> }).poll();
  const open = async (runId: string) =>
    (await engine.listInteractions({ runId, status: ['pending', 'notified', 'escalated'] }))[0]!;
  const start = async (segmentId: string, input: unknown) => {
    const run = await engine.startRun({ segmentId, input, actor: { subject: 'ops@bank' } });
    await engine.waitForRun(run.runId, { until: ['waiting_human', 'failed', 'completed'] });
    return run.runId;
  };
  const alice = { subject: 'alice' };
  const from = new Date(clock.now()).toISOString();

  const r1 = await start('loan', { applicant: 'A-1', tax_id: 'DE-CANARY-1' });
  clock.advance(10 * MIN);
  await engine.respond((await open(r1)).interactionId, { action: 'approve', comment: 'fine', actor: alice });
  await engine.waitForRun(r1, { until: ['completed'] });

  const r2 = await start('loan', { applicant: 'A-2', fail: true });
  const r3 = await start('loan', { applicant: 'A-3' });
  const r5 = await start('loan', { applicant: 'A-5' });
  clock.advance(61 * MIN);
  await poll();
  clock.advance(59 * MIN);
  await engine.respond((await open(r3)).interactionId, { action: 'reject', actor: alice });
  await engine.waitForRun(r3, { until: ['completed'] });
  clock.advance(60 * MIN);
  await poll();
  expect((await open(r5)).escalationLevel).toBe(1);
  clock.advance(15 * MIN);
  await engine.respond((await open(r5)).interactionId, { action: 'approve', actor: { subject: 'bob' } });
  await engine.waitForRun(r5, { until: ['completed'] });
  const r4 = await start('small_loan', { applicant: 'A-4' });
  clock.advance(5 * MIN);
  await poll();
  await engine.waitForRun(r4, { until: ['completed'] });
  const to = new Date(clock.now()).toISOString();
  return { engine, store, clock, from, to, runs: [r1, r2, r3, r4, r5] };
}

describe('compliance report', () => {
  test('counts what happened, who decided what and how fast, per tenant and range', async () => {
    const { engine, from, to, runs } = await scenario();
    const [r1, r2, r3, r4, r5] = runs;
    const report = await engine.complianceReport({ from, to });
    expect(report).toMatchObject({ format: 'llmteam.compliance-report/1', tenantId: 'default', from, to });
    expect(report.audit.verification).toMatchObject({ valid: true });
    expect(report.approvals).toMatchObject({
      requested: 4,
      answered: 4,
      approved: 3,
      rejected: 1,
      autoApproved: 1,
      responseTimes: { count: 4, p50Ms: 10 * MIN, maxMs: 195 * MIN },
    });
    const byRun = Object.fromEntries(report.approvals.items.map((i) => [i.runId, i]));
    expect(byRun[r1!]).toMatchObject({ decision: 'approve', by: 'alice', responseMs: 10 * MIN, auto: false });
    expect(byRun[r3!]).toMatchObject({
      decision: 'reject',
      by: 'alice',
      responseMs: 120 * MIN,
      type: 'approval',
    });
    expect(byRun[r4!]).toMatchObject({ decision: 'approve', by: 'system:auto-approve', auto: true });
    expect(byRun[r5!]).toMatchObject({ decision: 'approve', by: 'bob', responseMs: 195 * MIN });
    expect(report.slaBreaches.map((s) => s.runId).sort()).toEqual([r3, r5].sort());
    expect(report.escalations).toMatchObject([{ runId: r5, level: 1 }]);
    expect(report.actions).toEqual({
      calls: 4,
      byStatus: { completed: 3, failed: 1 },
      byAction: { credit_score: { completed: 3, failed: 1 } },
    });
    expect(report.events.byType['run.created']).toBe(5);
    expect(report.events.total).toBe(Object.values(report.events.byType).reduce((a, b) => a + b, 0));
    expect(report.audit.byActor.alice).toEqual({ 'interaction.approve': 1, 'interaction.reject': 1 });
    expect(report.audit.byActor.bob).toEqual({ 'interaction.approve': 1 });

    const records = Object.fromEntries(report.runs.map((r) => [r.runId, r]));
    const stored = await engine.store.getRun('default', r1!);
    expect(records[r1!]).toMatchObject({
      segmentId: 'loan',
      segmentVersion: '1.0.0',
      status: 'completed',
      startedAt: stored!.createdAt,
      endedAt: stored!.completedAt,
      inputSha256: sha256(canonicalJson(stored!.input)),
      oversight: [{ by: 'alice', kind: 'interaction', decision: 'approve' }],
    });
    expect(records[r2!]).toMatchObject({ status: 'failed', oversight: [] });
    expect(records[r4!]).toMatchObject({ segmentId: 'small_loan', segmentVersion: '2.1.0' });
    // Ids, names, counts and times only: no input value, no comment.
    const text = JSON.stringify(report);
    expect(text).not.toContain('DE-CANARY-1');
    expect(text).not.toContain('fine');
  });

  test('a range holds only its events; a request made before it takes its time from the record', async () => {
    const { engine, runs, clock } = await scenario();
    const [, , r3] = runs;
    // From just after run 3's request: its answer is in range, its request is not.
    const created = (await engine.store.getRun('default', r3!))!.createdAt;
    const from = new Date(Date.parse(created) + 1).toISOString();
    const report = await engine.complianceReport({ from, to: new Date(clock.now()).toISOString() });
    // Only run 4 starts later: run 5 was created in the same instant as run 3.
    expect(report.events.byType['run.created']).toBe(1);
    const item = report.approvals.items.find((i) => i.runId === r3)!;
    expect(item).toMatchObject({ decision: 'reject', responseMs: 120 * MIN, requestedAt: created });
    expect(report.approvals.requested).toBe(1);
  });

  test('CSV tables parse back to the report (RFC 4180 quoting)', async () => {
    const { engine, from, to } = await scenario();
    const report = await engine.complianceReport({ from, to });
    const parse = (csv: string) =>
      csv
        .trimEnd()
        .split('\r\n')
        .map((line) => line.split(','));
    const summary = Object.fromEntries(parse(complianceReportCsv(report)).slice(1));
    expect(summary).toMatchObject({ approved: '3', rejected: '1', auto_approved: '1', sla_breaches: '2' });
    const approvals = parse(complianceReportCsv(report, 'approvals'));
    expect(approvals[0]).toContain('response_ms');
    expect(approvals).toHaveLength(5);
    const records = parse(complianceReportCsv(report, 'record_keeping'));
    expect(records[0]).toEqual([
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
    ]);
    expect(records.slice(1).map((r) => r[6])).toEqual(report.runs.map((r) => r.inputSha256));
    const quoted = complianceReportCsv({ ...report, tenantId: 'a,"b"' });
    expect(quoted).toContain('tenant,"a,""b"""\r\n');
    expect(() => complianceReportCsv(report, 'nope' as never)).toThrow(/table must be one of summary/);
  });

  test('bad ranges are refused with the field named', async () => {
    const store = new MemoryStore();
    await expect(
      buildComplianceReport(store, { tenantId: 'default', from: 'yesterday', to: '2026-01-01T00:00:00Z' }),
    ).rejects.toMatchObject({ code: 'LLMT_E_INVALID_ARGUMENT', details: { field: 'from' } });
    await expect(
      buildComplianceReport(store, {
        tenantId: 'default',
        from: '2026-02-01T00:00:00Z',
        to: '2026-01-01T00:00:00Z',
      }),
    ).rejects.toThrow(/from .* is after to/);
  });
});
