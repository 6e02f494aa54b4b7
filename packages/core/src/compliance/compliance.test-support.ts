import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import {
  type AiActRecords,
  type ComplianceReport,
  createEngine,
  type Engine,
  type LlmProvider,
  ManualClock,
  type SegmentDefinition,
  type Store,
  staticKeyProvider,
} from '../index.js';

const MIN = 60_000;

/** When the seeded scenario starts (the engine's clock). */
export const SCENARIO_START = '2026-06-01T09:00:00.000Z';

function approval(id: string, config: Record<string, unknown>): SegmentDefinition {
  return {
    segment_id: id,
    version: '1.0.0',
    sealed_fields: ['applicant.ssn'],
    steps: [
      {
        step_id: 'approve',
        step_type: 'human_task',
        config: { task_type: 'approval', title: 'Approve the loan', ...config },
      },
    ],
  } as SegmentDefinition;
}

/** What {@link seedComplianceScenario} made. */
export interface ComplianceScenario {
  engine: Engine;
  clock: ManualClock;
  /** The sealed value every run's input carries. */
  canary: string;
  runs: Record<'r1' | 'r2' | 'r3' | 'r4' | 'r5' | 'r6' | 'r7' | 'r8', string>;
  /** The clock when the scenario ended. */
  end: string;
}

/**
 * Runs the compliance scenario on `store` under a manual clock, one run after another:
 * r1 and r2 approved by ann after 10 and 30 minutes; r3 rejected by bob after 90 minutes,
 * past its one-hour SLA; r4 escalated to carol at its two-hour deadline and approved by her
 * 15 minutes later; r5 auto-approved after 5 minutes; r6 an agent whose tool call ann
 * approves after a minute (two model calls, 320 input and 45 output tokens); r7 and r8
 * an action call that succeeds and one that fails.
 */
export async function seedComplianceScenario(store: Store): Promise<ComplianceScenario> {
  const clock = new ManualClock(Date.parse(SCENARIO_START));
  const canary = `ssn-canary-${randomBytes(6).toString('hex')}`;
  let turn = 0;
  const llm: LlmProvider = {
    name: 'fake',
    async chat() {
      turn++;
      if (turn === 1)
        return {
          content: '',
          toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"id":7}' }],
          finishReason: 'tool_calls',
          usage: { inputTokens: 120, outputTokens: 15 },
          model: 'small-1',
        };
      return {
        content: 'done',
        toolCalls: [],
        finishReason: 'stop',
        usage: { inputTokens: 200, outputTokens: 30 },
      };
    },
  };
  const engine = createEngine({
    store,
    clock,
    sealing: { keys: staticKeyProvider({ keys: { k1: randomBytes(32) } }) },
    resources: { llms: { fake: llm } },
    actions: { book: { type: 'function', retry_count: 0 }, lookup: { type: 'function', retry_count: 0 } },
  });
  engine.actions.defineFunction('lookup', (input) => ({ found: input }));
  engine.actions.defineFunction('book', (input) => {
    if ((input as { fail?: boolean }).fail) throw new Error(`booking refused for ${canary}`);
    return { booked: true };
  });
  await engine.start();
  const poll = () => (engine as unknown as { poll(): Promise<void> }).poll();
  const input = { applicant: { name: 'Ada', ssn: canary } };
  for (const s of [
    approval('loan', { assignee_ref: ['ann', 'bob'], sla_breach: 'PT1H' }),
    approval('escalating', {
      assignee_ref: 'dan',
      timeout: 'PT2H',
      on_timeout: 'escalate',
      escalation_chain: ['carol'],
    }),
    approval('auto', { assignee_ref: 'ann', auto_approve_after: 'PT5M' }),
    {
      segment_id: 'agent',
      version: '1.0.0',
      steps: [
        {
          step_id: 'answer',
          step_type: 'llm_agent',
          config: {
            provider: 'fake',
            model: 'small-1',
            tools: [{ action: 'lookup', requires_approval: true, assignee_ref: 'ann' }],
          },
        },
      ],
    } as SegmentDefinition,
    {
      segment_id: 'book',
      version: '1.0.0',
      steps: [{ step_id: 'book', step_type: 'action', config: { action: 'book' } }],
    } as SegmentDefinition,
  ])
    await engine.upsertSegment(s);

  const start = async (segmentId: string, runInput: unknown = input) => {
    const run = await engine.startRun({ segmentId, input: runInput });
    await engine.waitForRun(run.runId, { until: ['waiting_human', 'completed', 'failed'] });
    return run.runId;
  };
  const open = async (runId: string) =>
    (
      await engine.listInteractions({ runId, status: ['pending', 'notified', 'escalated', 'in_progress'] })
    )[0]!;
  const answer = async (runId: string, action: 'approve' | 'reject', subject: string) => {
    await engine.respond((await open(runId)).interactionId, {
      action,
      comment: `decided on ${canary}`,
      actor: { subject },
    });
    await engine.waitForRun(runId, { until: ['completed', 'failed'] });
  };

  const r1 = await start('loan');
  clock.advance(10 * MIN);
  await answer(r1, 'approve', 'ann');
  const r2 = await start('loan');
  clock.advance(30 * MIN);
  await answer(r2, 'approve', 'ann');
  const r3 = await start('loan');
  clock.advance(60 * MIN);
  await poll();
  clock.advance(30 * MIN);
  await answer(r3, 'reject', 'bob');
  const r4 = await start('escalating');
  clock.advance(120 * MIN);
  await poll();
  clock.advance(15 * MIN);
  await answer(r4, 'approve', 'carol');
  const r5 = await start('auto');
  clock.advance(5 * MIN);
  await poll();
  await engine.waitForRun(r5, { until: ['completed', 'failed'] });
  const r6 = await start('agent', { question: 'stock?' });
  clock.advance(MIN);
  await answer(r6, 'approve', 'ann');
  const r7 = await start('book', { fail: false });
  const r8 = await start('book', { fail: true });
  clock.advance(MIN);
  return {
    engine,
    clock,
    canary,
    runs: { r1, r2, r3, r4, r5, r6, r7, r8 },
    end: new Date(clock.now()).toISOString(),
  };
}

/** Reads RFC 4180 CSV (quoted cells, doubled quotes, CRLF line ends) into rows keyed by the header. */
export function parseCsv(text: string): Array<Record<string, string>> {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  expect(cell, 'the CSV ends with CRLF').toBe('');
  const [header, ...body] = rows;
  for (const r of body) expect(r).toHaveLength(header!.length);
  return body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

/** Checks every figure of the scenario's report over its whole range. */
export function expectScenarioReport(report: ComplianceReport, s: ComplianceScenario): void {
  const { runs } = s;
  expect(report).toMatchObject({
    format: 'llmteam.compliance-report/1',
    tenantId: 'default',
    from: SCENARIO_START,
    to: s.end,
  });
  expect(report.events.byType).toMatchObject({
    'run.created': 8,
    'interaction.requested': 6,
    'action.failed': 1,
    'model.call.completed': 2,
  });
  expect(report.events.total).toBe(Object.values(report.events.byType).reduce((a, b) => a + b, 0));
  expect(report.audit.byActor).toMatchObject({
    ann: { 'interaction.approve': 3 },
    bob: { 'interaction.reject': 1 },
    carol: { 'interaction.approve': 1 },
    'system:auto-approve': { 'interaction.approve': 1 },
  });
  expect(report.audit.byActor.system).toMatchObject({
    'interaction.sla_breached': 1,
    'interaction.escalated': 1,
  });
  expect(report.audit.verification.valid).toBe(true);
  const a = report.approvals;
  expect({ ...a, items: undefined, byDecision: undefined }).toEqual({
    requested: 6,
    answered: 6,
    approved: 5,
    rejected: 1,
    changesRequested: 0,
    autoApproved: 1,
    timedOut: 0,
    // 1 min (tool call), 5 min (auto), 10, 30, 90 min, 2 h 15 min: nearest rank.
    responseTimes: { count: 6, p50Ms: 600_000, p95Ms: 8_100_000, maxMs: 8_100_000 },
    items: undefined,
    byDecision: undefined,
  });
  expect(a.items.map((i) => [i.runId, i.decision, i.by, i.auto, i.responseMs])).toEqual([
    [runs.r1, 'approve', 'ann', false, 600_000],
    [runs.r2, 'approve', 'ann', false, 1_800_000],
    [runs.r3, 'reject', 'bob', false, 5_400_000],
    [runs.r4, 'approve', 'carol', false, 8_100_000],
    [runs.r5, 'approve', 'system:auto-approve', true, 300_000],
    [runs.r6, 'approve', 'ann', false, 60_000],
  ]);
  expect(report.slaBreaches).toEqual([
    expect.objectContaining({ runId: runs.r3, at: '2026-06-01T10:40:00.000Z' }),
  ]);
  expect(report.escalations).toEqual([
    expect.objectContaining({ runId: runs.r4, level: 1, at: '2026-06-01T13:10:00.000Z' }),
  ]);
  expect(report.toolApprovals).toEqual({
    requested: 1,
    decided: 1,
    byDecision: { approve: 1 },
    approvedWithEdits: 0,
  });
  expect(report.actions).toEqual({
    calls: 3,
    byStatus: { completed: 2, failed: 1 },
    byAction: { book: { completed: 1, failed: 1 }, lookup: { completed: 1 } },
  });
  expect(report.tokens).toEqual({
    calls: 2,
    inputTokens: 320,
    outputTokens: 45,
    byModel: [{ provider: 'fake', model: 'small-1', calls: 2, inputTokens: 320, outputTokens: 45 }],
  });
}

/** Checks the AI Act export of the scenario's whole range. */
export function expectScenarioAiAct(records: AiActRecords, s: ComplianceScenario): void {
  const { runs } = s;
  expect(records).toMatchObject({ format: 'llmteam.ai-act-records/1', auditChainValid: true });
  expect(records.basis.some((b) => b.startsWith('Art. 12(3)(a)'))).toBe(true);
  expect(records.records.map((r) => r.runId)).toEqual(Object.values(runs));
  const r4 = records.records[3]!;
  expect(r4).toMatchObject({
    segmentId: 'escalating',
    segmentVersion: '1.0.0',
    status: 'completed',
    startedAt: '2026-06-01T11:10:00.000Z',
    endedAt: '2026-06-01T13:25:00.000Z',
    oversight: [{ by: 'carol', kind: 'interaction', decision: 'approve', at: '2026-06-01T13:25:00.000Z' }],
  });
  expect(r4.inputSha256).toMatch(/^[0-9a-f]{64}$/);
  expect(records.records[4]!.oversight).toMatchObject([{ by: 'system:auto-approve', decision: 'approve' }]);
  expect(records.records[5]!.oversight.map((o) => [o.kind, o.by, o.decision])).toEqual([
    ['interaction', 'ann', 'approve'],
    ['tool_approval', 'ann', 'approve'],
  ]);
  expect(records.records[7]).toMatchObject({ status: 'failed', oversight: [] });
}
