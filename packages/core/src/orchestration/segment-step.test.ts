import { describe, expect, test } from 'vitest';
import {
  createEngine,
  type Engine,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
  SegmentValidationError,
} from '../index.js';

const finance = { subject: 'ann', groups: ['finance'] };

/** A child that asks finance to approve, then reshapes the answer. */
const approvalChild: SegmentDefinition = {
  segment_id: 'approval_child',
  version: '1.0.0',
  steps: [
    {
      step_id: 'ask',
      step_type: 'human_task',
      config: { task_type: 'approval', title: 'Approve spend', assignee_ref: 'group:finance' },
      outputs: [{ port_id: 'approved' }, { port_id: 'rejected' }, { port_id: 'output' }],
    },
    { step_id: 'ok', step_type: 'transform', config: { expression: '{"approved": true, "amount": amount}' } },
    { step_id: 'no', step_type: 'transform', config: { expression: '{"approved": false}' } },
  ],
  edges: [
    { source_step: 'ask', source_port: 'approved', target_step: 'ok' },
    { source_step: 'ask', source_port: 'rejected', target_step: 'no' },
  ],
};

const doubler: SegmentDefinition = {
  segment_id: 'doubler',
  version: '1.0.0',
  steps: [{ step_id: 'double', step_type: 'transform', config: { expression: 'n * 2' } }],
};

function parentOf(children: Array<{ id: string; segment: string; input?: string }>): SegmentDefinition {
  const ports = children.map((c) => ({ port_id: c.id }));
  return {
    segment_id: `parent_${children.map((c) => c.id).join('_')}`,
    steps: [
      { step_id: 'split', step_type: 'parallel_split', outputs: ports },
      ...children.map((c) => ({
        step_id: c.id,
        step_type: 'segment',
        config: { segment_id: c.segment, version: '1.0.0', ...(c.input ? { input: c.input } : {}) },
      })),
      { step_id: 'join', step_type: 'parallel_join', inputs: ports },
    ],
    edges: [
      ...children.map((c) => ({ source_step: 'split', source_port: c.id, target_step: c.id })),
      ...children.map((c) => ({ source_step: c.id, target_step: 'join', target_port: c.id })),
    ],
  };
}

async function engineWith(...segments: SegmentDefinition[]): Promise<Engine> {
  return engineWithOptions({}, ...segments);
}

async function engineWithOptions(
  options: { maxConcurrentSteps?: number },
  ...segments: SegmentDefinition[]
): Promise<Engine> {
  const engine = createEngine({
    ...options,
    store: new MemoryStore(),
    clock: new ManualClock(Date.parse('2026-03-01T09:00:00Z')),
  });
  for (const s of segments) await engine.upsertSegment(s);
  return engine;
}

/** Lets the work queued after a commit run: waits until `done` holds (or gives up). */
async function settled(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await done()); i++) await new Promise((r) => setImmediate(r));
}

const childRuns = async (engine: Engine, parentRunId: string) =>
  (await engine.store.listRuns('default')).items.filter((r) => r.parent?.runId === parentRunId);

describe('segment step (child runs)', () => {
  test('runs the child segment with the mapped input and writes its outputs; both runs record the link', async () => {
    const engine = await engineWith(doubler);
    const parent = await engine.startRun({
      segment: parentOf([{ id: 'a', segment: 'doubler', input: '{"n": x}' }]),
      input: { x: 21 },
    });
    const done = await engine.waitForRun(parent.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({ join: { a: { double: 42 } } });
    const [child] = await childRuns(engine, parent.runId);
    expect(child).toMatchObject({
      segmentId: 'doubler',
      segmentVersion: '1.0.0',
      status: 'completed',
      input: { n: 21 },
    });
    expect(child!.parent).toEqual({ runId: parent.runId, stepId: 'a', depth: 1 });
    const events = await engine.store.listEvents('default', parent.runId);
    expect(events.find((e) => e.type === 'child_run.started')?.data).toEqual({
      child_run_id: child!.runId,
      segment_id: 'doubler',
      version: '1.0.0',
    });
    expect(events.find((e) => e.type === 'child_run.finished')?.data).toMatchObject({ status: 'completed' });
    const created = (await engine.store.listEvents('default', child!.runId))[0];
    expect(created?.data).toMatchObject({ parent_run_id: parent.runId, parent_step_id: 'a' });
  });

  test('parents waiting on their children hold no step slot: three children finish on an engine of one slot', async () => {
    const engine = await engineWithOptions({ maxConcurrentSteps: 1 }, doubler);
    const parent = await engine.startRun({
      segment: parentOf([
        { id: 'a', segment: 'doubler', input: '{"n": x}' },
        { id: 'b', segment: 'doubler', input: '{"n": x + 1}' },
        { id: 'c', segment: 'doubler', input: '{"n": x + 2}' },
      ]),
      input: { x: 1 },
    });
    const done = await engine.waitForRun(parent.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({ join: { a: { double: 2 }, b: { double: 4 }, c: { double: 6 } } });
  });

  test("a person asked inside a child shows in the parent's waitingOn and in the inbox; the answer finishes both", async () => {
    const engine = await engineWith(approvalChild);
    const parent = await engine.startRun({
      segment: parentOf([{ id: 'spend', segment: 'approval_child' }]),
      input: { amount: 900 },
    });
    await engine.waitForRun(parent.runId, { until: ['waiting_action'] });
    const [child] = await childRuns(engine, parent.runId);
    await engine.waitForRun(child!.runId, { until: ['waiting_human'] });
    const waiting = await engine.waitingOn(parent.runId);
    expect(waiting.interactions).toHaveLength(1);
    expect(waiting.interactions[0]).toMatchObject({
      runId: child!.runId,
      title: 'Approve spend',
      status: 'pending',
    });
    expect(waiting.children).toEqual([
      expect.objectContaining({
        stepId: 'spend',
        run: expect.objectContaining({ runId: child!.runId, status: 'waiting_human' }),
      }),
    ]);
    const inbox = await engine.listInteractions({ assignee: 'ann', status: 'pending', actor: finance });
    expect(inbox.map((i) => i.interactionId)).toEqual([waiting.interactions[0]!.interactionId]);
    await engine.respond(waiting.interactions[0]!.interactionId, { action: 'approve', actor: finance });
    const done = await engine.waitForRun(parent.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ join: { spend: { ok: { approved: true, amount: 900 } } } });
    expect((await engine.waitingOn(parent.runId)).children).toEqual([]);
  });

  test('parallel children are answered in any order', async () => {
    const engine = await engineWith(approvalChild);
    const parent = await engine.startRun({
      segment: parentOf([
        { id: 'first', segment: 'approval_child', input: '{"amount": 1}' },
        { id: 'second', segment: 'approval_child', input: '{"amount": 2}' },
      ]),
      input: {},
    });
    await engine.waitForRun(parent.runId, { until: ['waiting_action'] });
    const kids = await childRuns(engine, parent.runId);
    expect(kids).toHaveLength(2);
    for (const k of kids) await engine.waitForRun(k.runId, { until: ['waiting_human'] });
    const requests = (await engine.waitingOn(parent.runId)).interactions;
    expect(requests).toHaveLength(2);
    const byStep = (stepId: string) => kids.find((k) => k.parent?.stepId === stepId)!.runId;
    const second = requests.find((i) => i.runId === byStep('second'))!;
    const first = requests.find((i) => i.runId === byStep('first'))!;
    await engine.respond(second.interactionId, { action: 'reject', actor: finance });
    await engine.waitForRun(byStep('second'), { until: ['completed'] });
    expect((await engine.getRun(parent.runId))!.run.status).toBe('waiting_action');
    await engine.respond(first.interactionId, { action: 'approve', actor: finance });
    const done = await engine.waitForRun(parent.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({
      join: { first: { ok: { approved: true, amount: 1 } }, second: { no: { approved: false } } },
    });
  });

  test('cancelling the parent cancels the child and closes its request', async () => {
    const engine = await engineWith(approvalChild);
    const parent = await engine.startRun({
      segment: parentOf([{ id: 'spend', segment: 'approval_child' }]),
      input: { amount: 5 },
    });
    await engine.waitForRun(parent.runId, { until: ['waiting_action'] });
    const [child] = await childRuns(engine, parent.runId);
    await engine.waitForRun(child!.runId, { until: ['waiting_human'] });
    await engine.cancelRun(parent.runId, { reason: 'budget frozen' });
    const cancelled = await engine.waitForRun(child!.runId, { until: ['cancelled'] });
    expect(cancelled.status).toBe('cancelled');
    const [request] = await engine.store.listInteractions('default', { runId: child!.runId });
    expect(request?.status).toBe('cancelled');
    // The command was delivered and its outbox timer consumed (in the commit after it).
    await settled(async () => (await engine.store.listTimers('default', parent.runId)).length === 0);
    expect(await engine.store.listTimers('default', parent.runId)).toEqual([]);
    expect(await engine.store.listTimers('default', child!.runId)).toEqual([]);
  });

  test('pausing the parent pauses the child; resuming resumes it; an answer given meanwhile lands on resume', async () => {
    const engine = await engineWith(approvalChild);
    const parent = await engine.startRun({
      segment: parentOf([{ id: 'spend', segment: 'approval_child' }]),
      input: { amount: 7 },
    });
    await engine.waitForRun(parent.runId, { until: ['waiting_action'] });
    const [child] = await childRuns(engine, parent.runId);
    await engine.waitForRun(child!.runId, { until: ['waiting_human'] });
    await engine.pauseRun(parent.runId);
    await engine.waitForRun(child!.runId, { until: ['paused'] });
    await engine.resumeRun(parent.runId);
    await engine.waitForRun(child!.runId, { until: ['waiting_human'] });
    // Paused again, the child's answer and its end reach a paused parent step.
    await engine.pauseRun(parent.runId);
    await engine.waitForRun(child!.runId, { until: ['paused'] });
    await engine.resumeRun(child!.runId);
    const [request] = await engine.store.listInteractions('default', { runId: child!.runId });
    await engine.respond(request!.interactionId, { action: 'approve', actor: finance });
    await engine.waitForRun(child!.runId, { until: ['completed'] });
    expect((await engine.getRun(parent.runId))!.run.status).toBe('paused');
    await engine.resumeRun(parent.runId);
    const done = await engine.waitForRun(parent.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ join: { spend: { ok: { approved: true, amount: 7 } } } });
  });

  test('a child that fails fails the step with LLMT_E_CHILD_RUN_FAILED naming the child', async () => {
    const broken: SegmentDefinition = {
      segment_id: 'broken',
      version: '1.0.0',
      steps: [{ step_id: 'boom', step_type: 'transform', config: { expression: '$error("no stock")' } }],
    };
    const engine = await engineWith(broken);
    const parent = await engine.startRun({
      segment: parentOf([{ id: 'kid', segment: 'broken' }]),
      input: {},
    });
    const done = await engine.waitForRun(parent.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'LLMT_E_CHILD_RUN_FAILED' });
    expect(done.error?.message).toContain('segment step "kid"');
    expect(done.error?.message).toContain('no stock');
  });

  test('validation: an unknown child segment is unknown_segment at the step field', async () => {
    const engine = await engineWith();
    const error = await engine
      .upsertSegment(parentOf([{ id: 'kid', segment: 'missing' }]))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SegmentValidationError);
    expect((error as SegmentValidationError).problems).toEqual([
      {
        path: '$.steps[1].config.segment_id',
        code: 'unknown_segment',
        message: expect.stringContaining(
          'step "kid", config.segment_id: segment "missing" version 1.0.0 is not registered',
        ),
      },
    ]);
  });

  test('validation: a segment that starts itself, directly or through others, is a segment_cycle', async () => {
    const engine = await engineWith();
    const refers = (id: string, version: string, target: string): SegmentDefinition => ({
      segment_id: id,
      version,
      steps: [{ step_id: `to_${target}`, step_type: 'segment', config: { segment_id: target } }],
    });
    const self = await engine.upsertSegment(refers('loop', '1.0.0', 'loop')).catch((e: unknown) => e);
    expect((self as SegmentValidationError).problems[0]).toMatchObject({
      path: '$.steps[0].config.segment_id',
      code: 'segment_cycle',
    });
    await engine.upsertSegment({ ...doubler, segment_id: 'a' });
    await engine.upsertSegment(refers('b', '1.0.0', 'a'));
    await engine.upsertSegment(refers('c', '1.0.0', 'b'));
    const cycle = await engine.upsertSegment(refers('a', '2.0.0', 'c')).catch((e: unknown) => e);
    expect((cycle as SegmentValidationError).problems[0]).toMatchObject({
      path: '$.steps[0].config.segment_id',
      code: 'segment_cycle',
      message: expect.stringContaining('(a -> c -> b -> a)'),
    });
  });
});
