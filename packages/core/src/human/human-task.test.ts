import { eventually } from '@llmteam/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import {
  createEngine,
  defineStepType,
  type Engine,
  type EngineOptions,
  type InteractionRecord,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
  type StepDefinition,
  type Store,
} from '../index.js';

const HOUR = 3600_000;
const OPEN = ['pending', 'notified', 'in_progress', 'escalated'] as const;
const engines: Engine[] = [];

afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 200 });
});

async function boot(store: Store, clock: ManualClock, extra: Partial<EngineOptions> = {}): Promise<Engine> {
  const engine = createEngine({ store, clock, ...extra });
  engines.push(engine);
  await engine.start();
  return engine;
}

/** Moves time and waits until every timer due by then has fired and committed. */
async function advance(engine: Engine, clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  await (engine as unknown as { poll(): Promise<void> }).poll();
}

function human(step_id: string, config: Record<string, unknown> = {}): StepDefinition {
  return {
    step_id,
    step_type: 'human_task',
    config: { task_type: 'approval', title: `Approve ${step_id}`, ...config },
  };
}

function transform(step_id: string, expression: string, extra: Partial<StepDefinition> = {}): StepDefinition {
  return { step_id, step_type: 'transform', config: { expression }, ...extra };
}

async function openRequests(engine: Engine, runId: string): Promise<InteractionRecord[]> {
  return engine.listInteractions({ runId, status: [...OPEN] });
}

async function eventTypes(store: Store, runId: string, type: string) {
  return (await store.listEvents('default', runId)).filter((e) => e.type === type);
}

const deployment: SegmentDefinition = {
  segment_id: 'deployment',
  steps: [
    transform('build', '{"version": $}'),
    human('approve', { title: 'Deploy to production?', assignee_ref: 'alice' }),
    transform('deploy', '"deployed " & version'),
    transform('stop', '"stopped " & version'),
  ],
  edges: [
    { source_step: 'build', target_step: 'approve' },
    { source_step: 'approve', source_port: 'approved', target_step: 'deploy' },
    { source_step: 'approve', source_port: 'rejected', target_step: 'stop' },
  ],
};

describe('human_task', () => {
  test('a deployment waits for approval, days if need be, and deploys once approved', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const engine = await boot(store, clock);
    const run = await engine.startRun({ segment: deployment, input: '3.1.0' });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_human');
    const [request] = await openRequests(engine, run.runId);
    expect(request).toMatchObject({
      type: 'approval',
      title: 'Deploy to production?',
      assignees: { users: ['alice'], groups: [] },
      revision: 0,
    });
    expect(request.settings.context).toEqual({ version: '3.1.0' });

    await advance(engine, clock, 3 * 24 * HOUR);
    expect((await engine.getRun(run.runId))!.run.status).toBe('waiting_human');

    const answered = await engine.respond(request.interactionId, {
      action: 'approve',
      actor: { subject: 'alice' },
      comment: 'go',
    });
    expect(answered.status).toBe('completed');
    expect(answered.outcome).toMatchObject({ action: 'approve', subject: 'alice', comment: 'go' });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({ deploy: 'deployed 3.1.0' });
    const steps = (await engine.getRun(run.runId))!.steps;
    expect(steps.find((s) => s.stepId === 'stop')!.status).toBe('skipped');
    expect(steps.find((s) => s.stepId === 'approve')!.outputs!.output).toMatchObject({
      action: 'approve',
      by: 'alice',
      comment: 'go',
    });
    expect(await eventTypes(store, run.runId, 'interaction.requested')).toHaveLength(1);
    expect(await eventTypes(store, run.runId, 'interaction.responded')).toHaveLength(1);
  });

  test('sealed fields never reach the request a person (or a channel) sees', async () => {
    const engine = await boot(new MemoryStore(), new ManualClock());
    const segment: SegmentDefinition = {
      segment_id: 'sealed',
      steps: [human('ask', { sealed_fields: ['ssn'] }), transform('use', 'ssn')],
      edges: [{ source_step: 'ask', source_port: 'approved', target_step: 'use' }],
    };
    const run = await engine.startRun({ segment, input: { name: 'Ada', ssn: '078-05-1120' } });
    await engine.waitForRun(run.runId);
    const [request] = await openRequests(engine, run.runId);
    expect(request.settings.context).toEqual({ name: 'Ada' });
    await engine.respond(request.interactionId, { action: 'approve' });
    // The run itself still carries the full input past the approval.
    expect((await engine.waitForRun(run.runId, { until: ['completed', 'failed'] })).outputs).toEqual({
      use: '078-05-1120',
    });
  });

  test('a rejection routes to the rejected port and skips the approved branch', async () => {
    const engine = await boot(new MemoryStore(), new ManualClock());
    const run = await engine.startRun({ segment: deployment, input: '3.2.0' });
    await engine.waitForRun(run.runId);
    const [request] = await openRequests(engine, run.runId);
    const answered = await engine.respond(request.interactionId, {
      action: 'reject',
      actor: { subject: 'alice' },
      comment: 'freeze week',
    });
    expect(answered.status).toBe('rejected');
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ stop: 'stopped 3.2.0' });
    const steps = (await engine.getRun(run.runId))!.steps;
    expect(steps.find((s) => s.stepId === 'deploy')!.status).toBe('skipped');
  });

  test('three parallel deployments wait at once and are answered in any order', async () => {
    const engine = await boot(new MemoryStore(), new ManualClock());
    const segment: SegmentDefinition = {
      segment_id: 'fanout',
      steps: [
        {
          step_id: 'split',
          step_type: 'parallel_split',
          outputs: [{ port_id: 'eu' }, { port_id: 'us' }, { port_id: 'ap' }],
        },
        human('eu', { assignee_ref: 'alice' }),
        human('us', { assignee_ref: 'bob' }),
        human('ap', { assignee_ref: 'carol' }),
        {
          step_id: 'join',
          step_type: 'parallel_join',
          inputs: [{ port_id: 'eu' }, { port_id: 'us' }, { port_id: 'ap' }],
        },
      ],
      edges: [
        { source_step: 'split', source_port: 'eu', target_step: 'eu' },
        { source_step: 'split', source_port: 'us', target_step: 'us' },
        { source_step: 'split', source_port: 'ap', target_step: 'ap' },
        { source_step: 'eu', source_port: 'approved', target_step: 'join', target_port: 'eu' },
        { source_step: 'us', source_port: 'approved', target_step: 'join', target_port: 'us' },
        { source_step: 'ap', source_port: 'approved', target_step: 'join', target_port: 'ap' },
      ],
    };
    const run = await engine.startRun({ segment, input: 'v7' });
    await engine.waitForRun(run.runId);
    const requests = await openRequests(engine, run.runId);
    expect(requests.map((r) => r.stepId).sort()).toEqual(['ap', 'eu', 'us']);
    const by = (step: string) => requests.find((r) => r.stepId === step)!.interactionId;

    await engine.respond(by('ap'), { action: 'approve', actor: { subject: 'carol' } });
    await engine.respond(by('eu'), { action: 'approve', actor: { subject: 'alice' } });
    expect((await engine.waitForRun(run.runId, { until: ['waiting_human'] })).status).toBe('waiting_human');
    expect((await openRequests(engine, run.runId)).map((r) => r.stepId)).toEqual(['us']);
    await expect(
      engine.respond(by('us'), { action: 'approve', actor: { subject: 'alice' } }),
    ).rejects.toMatchObject({ code: 'LLMT_E_NOT_ASSIGNEE' });
    await engine.respond(by('us'), { action: 'approve', actor: { subject: 'bob' } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ join: { eu: 'v7', us: 'v7', ap: 'v7' } });
  });

  test('a review loop: changes requested twice send the draft back with feedback, then approval publishes', async () => {
    const store = new MemoryStore();
    const engine = await boot(store, new ManualClock());
    const segment: SegmentDefinition = {
      segment_id: 'review',
      steps: [
        transform('draft', '{"text": input, "feedback": feedback}', {
          inputs: [{ port_id: 'input' }, { port_id: 'feedback' }],
        }),
        human('review', {
          task_type: 'review',
          title: 'Review the draft',
          assignee_ref: 'rita',
          max_revisions: 2,
        }),
        transform('publish', '"published " & text'),
      ],
      edges: [
        { source_step: 'draft', target_step: 'review' },
        { source_step: 'review', source_port: 'approved', target_step: 'publish' },
        {
          source_step: 'review',
          source_port: 'changes_requested',
          target_step: 'draft',
          target_port: 'feedback',
        },
      ],
    };
    const run = await engine.startRun({ segment, input: 'hello' });
    await engine.waitForRun(run.runId);
    const [first] = await openRequests(engine, run.runId);
    expect(first).toMatchObject({
      type: 'review',
      revision: 0,
      parentId: undefined,
      previousFeedback: undefined,
    });
    await expect(
      engine.respond(first.interactionId, { action: 'request_changes', actor: { subject: 'rita' } }),
    ).rejects.toMatchObject({
      code: 'LLMT_E_RESPONSE_INVALID',
    });

    await engine.respond(first.interactionId, {
      action: 'request_changes',
      actor: { subject: 'rita' },
      comment: 'shorter',
    });
    await engine.waitForRun(run.runId, { until: ['waiting_human'] });
    const [second] = await openRequests(engine, run.runId);
    expect(second).toMatchObject({ revision: 1, parentId: first.interactionId, previousFeedback: 'shorter' });
    expect(second.settings.context).toEqual({ text: 'hello', feedback: 'shorter' });

    await engine.respond(second.interactionId, {
      action: 'request_changes',
      actor: { subject: 'rita' },
      comment: 'friendlier',
    });
    await engine.waitForRun(run.runId, { until: ['waiting_human'] });
    const [third] = await openRequests(engine, run.runId);
    expect(third).toMatchObject({
      revision: 2,
      parentId: second.interactionId,
      previousFeedback: 'friendlier',
    });

    await expect(
      engine.respond(third.interactionId, {
        action: 'request_changes',
        actor: { subject: 'rita' },
        comment: 'again',
      }),
    ).rejects.toMatchObject({
      code: 'LLMT_E_MAX_REVISIONS',
    });
    expect((await store.getInteraction('default', third.interactionId))!.status).toBe('pending');

    await engine.respond(third.interactionId, { action: 'approve', actor: { subject: 'rita' } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ publish: 'published hello' });
    const draft = (await engine.getRun(run.runId))!.steps.find((s) => s.stepId === 'draft')!;
    expect(draft.iteration).toBe(2);
    expect(await eventTypes(store, run.runId, 'step.revision')).toHaveLength(2);
  });

  test('a timeout escalates twice, then auto-approves; each timer fires once', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const engine = await boot(store, clock);
    const segment: SegmentDefinition = {
      segment_id: 'escalate',
      steps: [
        human('ask', {
          assignee_ref: 'alice',
          timeout: 'PT1H',
          escalation_chain: ['bob', 'group:managers'],
          auto_approve_after: 'PT2H30M',
        }),
        transform('go', '"went"'),
      ],
      edges: [{ source_step: 'ask', source_port: 'approved', target_step: 'go' }],
    };
    const run = await engine.startRun({ segment, input: {} });
    await engine.waitForRun(run.runId);
    const [request] = await openRequests(engine, run.runId);

    await advance(engine, clock, HOUR);
    let current = (await store.getInteraction('default', request.interactionId))!;
    expect(current).toMatchObject({
      status: 'escalated',
      escalationLevel: 1,
      assignees: { users: ['bob'], groups: [] },
    });
    await expect(
      engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'alice' } }),
    ).rejects.toMatchObject({ code: 'LLMT_E_NOT_ASSIGNEE' });

    await advance(engine, clock, HOUR);
    current = (await store.getInteraction('default', request.interactionId))!;
    expect(current).toMatchObject({
      status: 'escalated',
      escalationLevel: 2,
      assignees: { users: [], groups: ['managers'] },
    });
    await expect(
      engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'bob' } }),
    ).rejects.toMatchObject({ code: 'LLMT_E_NOT_ASSIGNEE' });

    await advance(engine, clock, HOUR / 2);
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ go: 'went' });
    current = (await store.getInteraction('default', request.interactionId))!;
    expect(current).toMatchObject({
      status: 'completed',
      outcome: { action: 'approve', subject: 'system:auto-approve' },
    });

    await advance(engine, clock, 10 * HOUR);
    const escalated = await eventTypes(store, run.runId, 'interaction.escalated');
    expect(escalated.map((e) => e.data.level)).toEqual([1, 2]);
    expect(await eventTypes(store, run.runId, 'interaction.responded')).toHaveLength(1);
    expect(await eventTypes(store, run.runId, 'interaction.timed_out')).toHaveLength(0);
    expect(await store.listTimers('default', run.runId)).toEqual([]);
  });

  test('the escalation target may answer after the original assignee lost the request', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const engine = await boot(store, clock);
    const segment: SegmentDefinition = {
      segment_id: 'esc1',
      steps: [human('ask', { assignee_ref: 'alice', timeout: 'PT1H', escalation_chain: ['bob'] })],
      edges: [],
    };
    const run = await engine.startRun({ segment, input: 1 });
    await engine.waitForRun(run.runId);
    const [request] = await openRequests(engine, run.runId);
    await advance(engine, clock, HOUR);
    await expect(
      engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'alice' } }),
    ).rejects.toMatchObject({ code: 'LLMT_E_NOT_ASSIGNEE' });
    expect((await engine.listInteractions({ assignee: 'bob' })).map((i) => i.interactionId)).toEqual([
      request.interactionId,
    ]);
    await engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'bob' } });
    expect((await engine.waitForRun(run.runId, { until: ['completed', 'failed'] })).status).toBe('completed');
  });

  test('on_timeout decides the outcome when nobody answers: timeout port, reject, or a failed run', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const engine = await boot(store, clock);
    const make = (id: string, onTimeout?: string): SegmentDefinition => ({
      segment_id: id,
      steps: [
        human('ask', { timeout: 'PT1H', ...(onTimeout ? { on_timeout: onTimeout } : {}) }),
        transform('late', '"late"'),
        transform('no', '"no"'),
      ],
      edges: [
        { source_step: 'ask', source_port: 'timeout', target_step: 'late' },
        { source_step: 'ask', source_port: 'rejected', target_step: 'no' },
      ],
    });
    const plain = await engine.startRun({ segment: make('t-plain'), input: 1 });
    const rejecting = await engine.startRun({ segment: make('t-reject', 'reject'), input: 1 });
    const failing = await engine.startRun({ segment: make('t-fail', 'fail'), input: 1 });
    for (const r of [plain, rejecting, failing]) await engine.waitForRun(r.runId);
    await advance(engine, clock, HOUR);
    expect((await engine.waitForRun(plain.runId, { until: ['completed', 'failed'] })).outputs).toEqual({
      late: 'late',
    });
    expect((await engine.waitForRun(rejecting.runId, { until: ['completed', 'failed'] })).outputs).toEqual({
      no: 'no',
    });
    const failed = await engine.waitForRun(failing.runId, { until: ['completed', 'failed'] });
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('LLMT_E_TIMEOUT');
    expect(await eventTypes(store, plain.runId, 'interaction.timed_out')).toHaveLength(1);
    expect(await eventTypes(store, rejecting.runId, 'interaction.timed_out')).toHaveLength(1);
  });

  test('SLA warning and breach events fire once each, and the request can still be answered', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const engine = await boot(store, clock);
    const segment: SegmentDefinition = {
      segment_id: 'sla',
      steps: [human('ask', { assignee_ref: 'alice', sla_warning: 'PT30M', sla_breach: 3600 })],
      edges: [],
    };
    const run = await engine.startRun({ segment, input: 1 });
    await engine.waitForRun(run.runId);
    const [request] = await openRequests(engine, run.runId);
    expect(request.slaWarningAt).toBe(new Date(clock.now() + HOUR / 2).toISOString());
    await advance(engine, clock, HOUR / 2);
    expect(await eventTypes(store, run.runId, 'interaction.sla_warning')).toHaveLength(1);
    expect(await eventTypes(store, run.runId, 'interaction.sla_breached')).toHaveLength(0);
    await advance(engine, clock, HOUR / 2);
    await advance(engine, clock, 5 * HOUR);
    expect(await eventTypes(store, run.runId, 'interaction.sla_warning')).toHaveLength(1);
    expect(await eventTypes(store, run.runId, 'interaction.sla_breached')).toHaveLength(1);
    await engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'alice' } });
    expect((await engine.waitForRun(run.runId, { until: ['completed', 'failed'] })).status).toBe('completed');
  });

  test('a quorum of listed approvers needs every one of them; the same person twice does not count', async () => {
    const engine = await boot(new MemoryStore(), new ManualClock());
    const segment: SegmentDefinition = {
      segment_id: 'quorum-list',
      steps: [human('ask', { required_approvers: ['alice', 'bob'] })],
      edges: [],
    };
    const run = await engine.startRun({ segment, input: 1 });
    await engine.waitForRun(run.runId);
    const [request] = await openRequests(engine, run.runId);
    expect(request.assignees.users).toEqual(['alice', 'bob']);
    const partial = await engine.respond(request.interactionId, {
      action: 'approve',
      actor: { subject: 'alice' },
    });
    expect(partial.status).toBe('in_progress');
    await expect(
      engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'alice' } }),
    ).rejects.toMatchObject({ code: 'LLMT_E_RESPONSE_INVALID' });
    await expect(
      engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'mallory' } }),
    ).rejects.toMatchObject({ code: 'LLMT_E_NOT_ASSIGNEE' });
    expect((await engine.getRun(run.runId))!.run.status).toBe('waiting_human');
    const full = await engine.respond(request.interactionId, {
      action: 'approve',
      actor: { subject: 'bob' },
    });
    expect(full.status).toBe('completed');
    await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    const step = (await engine.getRun(run.runId))!.steps[0];
    expect(step.outputs!.output).toMatchObject({ action: 'approve', approvers: ['alice', 'bob'] });
  });

  test('a quorum of N from a group: one rejection rejects, N approvals approve', async () => {
    const engine = await boot(new MemoryStore(), new ManualClock());
    const segment: SegmentDefinition = {
      segment_id: 'quorum-group',
      steps: [
        human('ask', { required_approvers: { group: 'ops', count: 2 } }),
        transform('yes', '"yes"'),
        transform('no', '"no"'),
      ],
      edges: [
        { source_step: 'ask', source_port: 'approved', target_step: 'yes' },
        { source_step: 'ask', source_port: 'rejected', target_step: 'no' },
      ],
    };
    const ops = (subject: string) => ({ subject, groups: ['ops'] });
    const rejected = await engine.startRun({ segment, input: 1 });
    const approved = await engine.startRun({ segment, input: 2 });
    await engine.waitForRun(rejected.runId);
    await engine.waitForRun(approved.runId);
    const [r1] = await openRequests(engine, rejected.runId);
    const [r2] = await openRequests(engine, approved.runId);

    await engine.respond(r1.interactionId, { action: 'approve', actor: ops('dana') });
    await expect(
      engine.respond(r1.interactionId, {
        action: 'approve',
        actor: { subject: 'outsider', groups: ['sales'] },
      }),
    ).rejects.toMatchObject({
      code: 'LLMT_E_NOT_ASSIGNEE',
    });
    expect((await engine.respond(r1.interactionId, { action: 'reject', actor: ops('eli') })).status).toBe(
      'rejected',
    );
    expect((await engine.waitForRun(rejected.runId, { until: ['completed', 'failed'] })).outputs).toEqual({
      no: 'no',
    });

    await engine.respond(r2.interactionId, { action: 'approve', actor: ops('dana') });
    expect((await engine.respond(r2.interactionId, { action: 'approve', actor: ops('eli') })).status).toBe(
      'completed',
    );
    expect((await engine.waitForRun(approved.runId, { until: ['completed', 'failed'] })).outputs).toEqual({
      yes: 'yes',
    });
  });

  test('an input answer is validated against input_schema: an invalid one is refused with the schema errors and the request stays open', async () => {
    const store = new MemoryStore();
    const engine = await boot(store, new ManualClock());
    const segment: SegmentDefinition = {
      segment_id: 'input',
      steps: [
        human('budget', {
          task_type: 'input',
          title: 'Budget?',
          input_schema: {
            type: 'object',
            required: ['amount'],
            properties: { amount: { type: 'number', minimum: 1 } },
            additionalProperties: false,
          },
        }),
        transform('use', '"budget " & $string(amount)'),
      ],
      edges: [{ source_step: 'budget', source_port: 'approved', target_step: 'use' }],
    };
    const run = await engine.startRun({ segment, input: {} });
    await engine.waitForRun(run.runId);
    const [request] = await openRequests(engine, run.runId);
    const refused = await engine
      .respond(request.interactionId, { action: 'respond', value: { amount: 'lots', extra: 1 } })
      .catch((e) => e);
    expect(refused.code).toBe('LLMT_E_RESPONSE_INVALID');
    expect(refused.details.errors).toEqual(
      expect.arrayContaining(['/amount must be number', '(answer) must NOT have additional properties']),
    );
    expect((await store.getInteraction('default', request.interactionId))!).toMatchObject({
      status: 'pending',
      responses: [],
    });
    expect((await engine.getRun(run.runId))!.run.status).toBe('waiting_human');
    await engine.respond(request.interactionId, { action: 'respond', value: { amount: 40 } });
    expect((await engine.waitForRun(run.runId, { until: ['completed', 'failed'] })).outputs).toEqual({
      use: 'budget 40',
    });
  });

  test('a choice must be one of its options', async () => {
    const engine = await boot(new MemoryStore(), new ManualClock());
    const segment: SegmentDefinition = {
      segment_id: 'choice',
      steps: [
        human('pick', {
          task_type: 'choice',
          title: 'Region?',
          options: [{ value: 'eu', label: 'Europe' }, 'us'],
        }),
      ],
      edges: [],
    };
    const run = await engine.startRun({ segment, input: {} });
    await engine.waitForRun(run.runId);
    const [request] = await openRequests(engine, run.runId);
    await expect(
      engine.respond(request.interactionId, { action: 'respond', value: 'mars' }),
    ).rejects.toMatchObject({ code: 'LLMT_E_RESPONSE_INVALID' });
    await expect(engine.respond(request.interactionId, { action: 'approve' })).rejects.toMatchObject({
      code: 'LLMT_E_RESPONSE_INVALID',
    });
    await engine.respond(request.interactionId, { action: 'respond', value: 'eu' });
    expect((await engine.waitForRun(run.runId, { until: ['completed', 'failed'] })).outputs).toEqual({
      pick: {
        action: 'respond',
        by: 'system',
        value: 'eu',
        interaction_id: request.interactionId,
        revision: 0,
      },
    });
  });

  test('a chat collects messages until the assignee closes it', async () => {
    const engine = await boot(new MemoryStore(), new ManualClock());
    const segment: SegmentDefinition = {
      segment_id: 'chat',
      steps: [human('talk', { task_type: 'chat', title: 'Questions?', assignee_ref: 'alice' })],
      edges: [],
    };
    const run = await engine.startRun({ segment, input: {} });
    await engine.waitForRun(run.runId);
    const [request] = await openRequests(engine, run.runId);
    const alice = { subject: 'alice' };
    expect(
      (
        await engine.respond(request.interactionId, {
          action: 'message',
          value: 'Which region?',
          actor: alice,
        })
      ).status,
    ).toBe('in_progress');
    await engine.respond(request.interactionId, { action: 'message', comment: 'EU please', actor: alice });
    expect((await engine.getRun(run.runId))!.run.status).toBe('waiting_human');
    expect(
      (await engine.respond(request.interactionId, { action: 'close', value: 'done', actor: alice })).status,
    ).toBe('completed');
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs!.talk).toMatchObject({
      action: 'close',
      messages: [
        { by: 'alice', text: 'Which region?' },
        { by: 'alice', text: 'EU please' },
      ],
    });
  });

  test('two concurrent answers produce exactly one outcome', async () => {
    const store = new MemoryStore();
    const engine = await boot(store, new ManualClock());
    const segment: SegmentDefinition = {
      ...deployment,
      segment_id: 'race',
      steps: deployment.steps.map((s) =>
        s.step_id === 'approve' ? human('approve', { assignee_ref: ['alice', 'bob'] }) : s,
      ),
    };
    for (let i = 0; i < 5; i++) {
      const run = await engine.startRun({ segment, input: `1.${i}` });
      await engine.waitForRun(run.runId);
      const [request] = await openRequests(engine, run.runId);
      const results = await Promise.allSettled([
        engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'alice' } }),
        engine.respond(request.interactionId, { action: 'reject', actor: { subject: 'bob' } }),
      ]);
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0].reason.code).toBe('LLMT_E_INTERACTION_CLOSED');
      const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
      const stored = (await store.getInteraction('default', request.interactionId))!;
      expect(stored.responses).toHaveLength(1);
      expect(Object.keys(done.outputs!)).toEqual([stored.outcome!.action === 'approve' ? 'deploy' : 'stop']);
      expect(await eventTypes(store, run.runId, 'run.completed')).toHaveLength(1);
      expect(await eventTypes(store, run.runId, 'interaction.responded')).toHaveLength(1);
    }
  });

  test('answers and timers work across a restart between every action', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const segment: SegmentDefinition = {
      segment_id: 'restart',
      steps: [
        human('approve', {
          assignee_ref: 'alice',
          sla_warning: 'PT30M',
          timeout: 'PT2H',
          escalation_chain: ['bob'],
        }),
        human('tag', {
          task_type: 'input',
          title: 'Tag?',
          assignee_ref: 'bob',
          input_schema: { type: 'string' },
        }),
        transform('done', '"tagged " & $'),
      ],
      edges: [
        { source_step: 'approve', source_port: 'approved', target_step: 'tag' },
        { source_step: 'tag', source_port: 'approved', target_step: 'done' },
      ],
    };
    const step = async (fn: (engine: Engine) => Promise<void>) => {
      const engine = await boot(store, clock);
      await fn(engine);
      await engine.stop();
      engines.splice(engines.indexOf(engine), 1);
    };
    let runId = '';
    let requestId = '';
    await step(async (e) => {
      runId = (await e.startRun({ segment, input: {} })).runId;
      expect((await e.waitForRun(runId)).status).toBe('waiting_human');
      requestId = (await openRequests(e, runId))[0].interactionId;
    });
    await step(async (e) => advance(e, clock, HOUR / 2));
    expect(await eventTypes(store, runId, 'interaction.sla_warning')).toHaveLength(1);
    await step(async (e) => advance(e, clock, HOUR / 2));
    await step(async (e) => advance(e, clock, HOUR));
    expect((await store.getInteraction('default', requestId))!).toMatchObject({
      status: 'escalated',
      assignees: { users: ['bob'] },
    });
    await step(async (e) => {
      await expect(
        e.respond(requestId, { action: 'approve', actor: { subject: 'alice' } }),
      ).rejects.toMatchObject({ code: 'LLMT_E_NOT_ASSIGNEE' });
    });
    await step(async (e) => {
      await e.respond(requestId, { action: 'approve', actor: { subject: 'bob' } });
      expect((await e.waitForRun(runId, { until: ['waiting_human', 'failed'] })).status).toBe(
        'waiting_human',
      );
    });
    await step(async (e) => {
      await expect(
        e.respond(requestId, { action: 'approve', actor: { subject: 'bob' } }),
      ).rejects.toMatchObject({ code: 'LLMT_E_INTERACTION_CLOSED' });
    });
    let tagId = '';
    await step(async (e) => {
      tagId = (await openRequests(e, runId))[0].interactionId;
      await expect(
        e.respond(tagId, { action: 'respond', value: 42, actor: { subject: 'bob' } }),
      ).rejects.toMatchObject({ code: 'LLMT_E_RESPONSE_INVALID' });
    });
    await step(async (e) => {
      await e.respond(tagId, { action: 'respond', value: 'v1', actor: { subject: 'bob' } });
      expect((await e.waitForRun(runId, { until: ['completed', 'failed'] })).outputs).toEqual({
        done: 'tagged v1',
      });
    });
    await step(async (e) => advance(e, clock, 24 * HOUR));
    expect(await eventTypes(store, runId, 'interaction.sla_warning')).toHaveLength(1);
    expect(await eventTypes(store, runId, 'interaction.escalated')).toHaveLength(1);
    expect(await eventTypes(store, runId, 'run.completed')).toHaveLength(1);
    expect(await eventTypes(store, runId, 'step.completed')).toHaveLength(3);
  });

  test('two engines on one store fire each timer once and either may take the answer', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const a = await boot(store, clock);
    const b = await boot(store, clock);
    const segment: SegmentDefinition = {
      segment_id: 'two-nodes',
      steps: [
        human('ask', {
          assignee_ref: 'alice',
          sla_warning: 'PT10M',
          sla_breach: 'PT20M',
          timeout: 'PT30M',
          escalation_chain: ['bob'],
        }),
      ],
      edges: [],
    };
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).startRun({ segment, input: i })),
    );
    for (const r of runs) expect((await a.waitForRun(r.runId)).status).toBe('waiting_human');
    for (let minute = 0; minute < 40; minute += 5) {
      clock.advance(5 * 60_000);
      await Promise.all([a, b].map((e) => (e as unknown as { poll(): Promise<void> }).poll()));
    }
    for (const r of runs) {
      expect(await eventTypes(store, r.runId, 'interaction.sla_warning')).toHaveLength(1);
      expect(await eventTypes(store, r.runId, 'interaction.sla_breached')).toHaveLength(1);
      expect(await eventTypes(store, r.runId, 'interaction.escalated')).toHaveLength(1);
    }
    const requests = await a.listInteractions({ assignee: 'bob' });
    expect(requests).toHaveLength(6);
    const results = await Promise.allSettled(
      requests.flatMap((r) =>
        [a, b].map((e) => e.respond(r.interactionId, { action: 'approve', actor: { subject: 'bob' } })),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(6);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason.code).toBe('LLMT_E_INTERACTION_CLOSED');
    // What the periodic poll does: a run left ready by a lost lease race (lease now free) is picked up.
    await Promise.all([a, b].map((e) => (e as unknown as { poll(): Promise<void> }).poll()));
    for (const r of runs)
      expect((await a.waitForRun(r.runId, { until: ['completed', 'failed'], timeoutMs: 5000 })).status).toBe(
        'completed',
      );
  });

  test('a waiting run holds no driver in the engine', async () => {
    const engine = await boot(new MemoryStore(), new ManualClock());
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => engine.startRun({ segment: deployment, input: `0.${i}` })),
    );
    for (const r of runs) expect((await engine.waitForRun(r.runId)).status).toBe('waiting_human');
    const internals = engine as unknown as { drivers: Map<string, unknown>; releasing: Map<string, unknown> };
    // Letting go of a run finishes after the commit its waiter saw.
    await eventually(
      () => (internals.drivers.size === 0 && internals.releasing.size === 0 ? true : undefined),
      'every driver to be released',
    );
  });
});

describe('asking a person from any step handler', () => {
  const guarded = defineStepType({
    type: 'guarded_deploy',
    displayName: 'Guarded deploy',
    category: 'INTEGRATION',
    configSchema: { type: 'object' },
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    async handler(ctx) {
      const approval = await ctx.requestApproval({ title: `Deploy ${ctx.stepId}?`, assignee: 'alice' });
      if (approval.action !== 'approve') return { output: `${ctx.stepId} cancelled` };
      const tag = await ctx.requestInput({
        title: `Tag for ${ctx.stepId}`,
        assignee: 'alice',
        inputSchema: { type: 'string', minLength: 2 },
      });
      return { output: `${ctx.stepId}@${String(tag.value)} (${String(ctx.input)})` };
    },
  });

  test('ctx.requestApproval and ctx.requestInput in two parallel branches, answered in any order', async () => {
    const engine = await boot(new MemoryStore(), new ManualClock(), { stepTypes: [guarded] });
    const segment: SegmentDefinition = {
      segment_id: 'guarded',
      steps: [
        { step_id: 'split', step_type: 'parallel_split', outputs: [{ port_id: 'a' }, { port_id: 'b' }] },
        { step_id: 'a', step_type: 'guarded_deploy' },
        { step_id: 'b', step_type: 'guarded_deploy' },
        { step_id: 'join', step_type: 'parallel_join', inputs: [{ port_id: 'a' }, { port_id: 'b' }] },
      ],
      edges: [
        { source_step: 'split', source_port: 'a', target_step: 'a' },
        { source_step: 'split', source_port: 'b', target_step: 'b' },
        { source_step: 'a', source_port: 'output', target_step: 'join', target_port: 'a' },
        { source_step: 'b', source_port: 'output', target_step: 'join', target_port: 'b' },
      ],
    };
    const alice = { subject: 'alice' };
    const run = await engine.startRun({ segment, input: 'v9' });
    await engine.waitForRun(run.runId);
    const open = (stepId: string) =>
      eventually(
        async () => (await openRequests(engine, run.runId)).find((r) => r.stepId === stepId),
        `an open request for ${stepId}`,
      );
    const approvals = await openRequests(engine, run.runId);
    expect(approvals.map((r) => [r.stepId, r.type]).sort()).toEqual([
      ['a', 'approval'],
      ['b', 'approval'],
    ]);
    await engine.respond((await open('b')).interactionId, { action: 'approve', actor: alice });
    const tagB = await open('b');
    expect(tagB).toMatchObject({
      type: 'input',
      parentId: approvals.find((r) => r.stepId === 'b')!.interactionId,
    });
    await engine.respond((await open('a')).interactionId, { action: 'approve', actor: alice });
    const tagA = await open('a');
    await expect(
      engine.respond(tagA.interactionId, { action: 'respond', value: 'x', actor: alice }),
    ).rejects.toMatchObject({ code: 'LLMT_E_RESPONSE_INVALID' });
    await engine.respond(tagA.interactionId, { action: 'respond', value: 'a1', actor: alice });
    await engine.respond(tagB.interactionId, { action: 'respond', value: 'b1', actor: alice });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ join: { a: 'a@a1 (v9)', b: 'b@b1 (v9)' } });
  });
});
