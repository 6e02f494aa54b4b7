import { afterEach, describe, expect, test } from 'vitest';
import {
  APPROVAL_SEGMENT_ID,
  type ApprovalDecision,
  type ApprovalTaskState,
  createEngine,
  type Engine,
  ManualClock,
  MemoryStore,
  requiresApproval,
  type SegmentDefinition,
  type Store,
  waitForResponse,
} from '../index.js';

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 200 });
});

async function boot(store: Store = new MemoryStore(), clock = new ManualClock()): Promise<Engine> {
  const engine = createEngine({ store, clock });
  engines.push(engine);
  await engine.start();
  return engine;
}

const ask = (config: Record<string, unknown> = {}): SegmentDefinition => ({
  segment_id: 'ask',
  steps: [
    {
      step_id: 'ask',
      step_type: 'human_task',
      config: { task_type: 'approval', title: 'Ok?', assignee_ref: 'alice', ...config },
    },
  ],
  edges: [],
});

async function requestOf(engine: Engine, config?: Record<string, unknown>) {
  const run = await engine.startRun({ segment: ask(config), input: 1 });
  await engine.waitForRun(run.runId);
  const [request] = await engine.listInteractions({ runId: run.runId });
  return { runId: run.runId, id: request.interactionId };
}

describe('waitForResponse', () => {
  test('resolves with the closed request when the answer comes', async () => {
    const engine = await boot();
    const { id } = await requestOf(engine);
    const waiting = waitForResponse(engine, id, { timeout: 60_000 });
    let settled = false;
    void waiting.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    await engine.respond(id, { action: 'approve', actor: { subject: 'alice' }, comment: 'fine' });
    const record = await waiting;
    expect(record).toMatchObject({
      interactionId: id,
      status: 'completed',
      outcome: { action: 'approve', subject: 'alice', comment: 'fine' },
    });
  });

  test('resolves at once for a request that is already closed', async () => {
    const engine = await boot();
    const { id } = await requestOf(engine);
    await engine.respond(id, { action: 'reject', actor: { subject: 'alice' } });
    expect((await waitForResponse(engine, id)).status).toBe('rejected');
  });

  test('does not resolve on a partial quorum answer, only on the closing one', async () => {
    const engine = await boot();
    const { id } = await requestOf(engine, { assignee_ref: undefined, required_approvers: ['alice', 'bob'] });
    const waiting = waitForResponse(engine, id);
    let settled = false;
    void waiting.then(() => (settled = true));
    await engine.respond(id, { action: 'approve', actor: { subject: 'alice' } });
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    await engine.respond(id, { action: 'approve', actor: { subject: 'bob' } });
    expect((await waiting).responses.map((r) => r.subject)).toEqual(['alice', 'bob']);
  });

  test('resolves when the request times out or its run is cancelled', async () => {
    const clock = new ManualClock();
    const engine = await boot(new MemoryStore(), clock);
    const timed = await requestOf(engine, { timeout: 'PT1H' });
    const cancelled = await requestOf(engine);
    const timing = waitForResponse(engine, timed.id);
    const cancelling = waitForResponse(engine, cancelled.id);
    clock.advance(3600_000);
    await (engine as unknown as { poll(): Promise<void> }).poll();
    expect((await timing).status).toBe('timeout');
    await engine.cancelRun(cancelled.runId);
    expect((await cancelling).status).toBe('cancelled');
  });

  test('rejects with LLMT_E_TIMEOUT when nobody answers in time, and with NOT_FOUND for an unknown id', async () => {
    const clock = new ManualClock();
    const engine = await boot(new MemoryStore(), clock);
    const { id } = await requestOf(engine);
    const waiting = waitForResponse(engine, id, { timeout: 5000 });
    clock.advance(5000);
    await expect(waiting).rejects.toMatchObject({ code: 'LLMT_E_TIMEOUT' });
    expect((await engine.store.getInteraction('default', id))!.status).toBe('pending');
    await expect(waitForResponse(engine, 'int_missing')).rejects.toMatchObject({
      code: 'LLMT_E_INTERACTION_NOT_FOUND',
    });
  });
});

describe('requiresApproval', () => {
  test('runs the work only after approval, moving through its states', async () => {
    const engine = await boot();
    const states: ApprovalTaskState[] = [];
    const calls: ApprovalDecision[] = [];
    const task = requiresApproval(
      engine,
      { title: 'Delete the staging database?', assignee: 'alice', context: { db: 'staging' } },
      async (decision) => {
        calls.push(decision);
        return 'deleted';
      },
    );
    task.on('state', (s) => states.push(s));
    expect(task.state).toBe('pending');
    const id = await task.requested;
    expect(task.state).toBe('awaiting_approval');
    expect(task.interactionId).toBe(id);
    const request = (await engine.store.getInteraction('default', id))!;
    expect(request).toMatchObject({ title: 'Delete the staging database?', assignees: { users: ['alice'] } });
    expect(request.settings.context).toEqual({ db: 'staging' });
    expect((await engine.store.getRun('default', task.runId!))!.segmentId).toBe(APPROVAL_SEGMENT_ID);
    expect(calls).toHaveLength(0);

    await engine.respond(id, { action: 'approve', actor: { subject: 'alice' }, comment: 'yes' });
    await expect(task.result).resolves.toBe('deleted');
    expect(states).toEqual(['awaiting_approval', 'approved', 'running', 'completed']);
    expect(calls).toEqual([{ interactionId: id, action: 'approve', by: 'alice', comment: 'yes' }]);
  });

  test('a rejection never runs the work; the result rejects with the decision', async () => {
    const engine = await boot();
    let ran = false;
    const task = requiresApproval(engine, { title: 'Send the newsletter?' }, () => {
      ran = true;
    });
    const states: ApprovalTaskState[] = [];
    task.on('state', (s) => states.push(s));
    const id = await task.requested;
    await engine.respond(id, {
      action: 'reject',
      actor: { subject: 'alice', roles: ['admin'] },
      comment: 'typo',
    });
    const error = await task.result.catch((e) => e);
    expect(error).toMatchObject({
      code: 'LLMT_E_APPROVAL_REJECTED',
      details: { state: 'rejected', decision: { action: 'reject', by: 'alice', comment: 'typo' } },
    });
    expect(ran).toBe(false);
    expect(states).toEqual(['awaiting_approval', 'rejected']);
  });

  test('work that throws leaves the task failed with its error', async () => {
    const engine = await boot();
    const task = requiresApproval(engine, { title: 'Rotate keys?', auto_approve_after: 'PT1M' }, () => {
      throw new Error('vault unreachable');
    });
    const id = await task.requested;
    await engine.respond(id, { action: 'approve' });
    await expect(task.result).rejects.toThrow('vault unreachable');
    expect(task.state).toBe('failed');
  });

  test('the request survives a restart: the same idempotency key attaches to it on a new engine', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const first = await boot(store, clock);
    const before = requiresApproval(
      first,
      {
        title: 'Scale down?',
        assignee: 'alice',
        timeout: 'PT1H',
        on_timeout: 'approve',
        idempotencyKey: 'scale-1',
      },
      () => 'never',
    );
    const id = await before.requested;
    await first.stop();

    const second = await boot(store, clock);
    const after = requiresApproval(
      second,
      {
        title: 'Scale down?',
        assignee: 'alice',
        timeout: 'PT1H',
        on_timeout: 'approve',
        idempotencyKey: 'scale-1',
      },
      (d) => `scaled by ${d.by}`,
    );
    expect(await after.requested).toBe(id);
    expect(after.runId).toBe(before.runId);
    clock.advance(3600_000);
    await (second as unknown as { poll(): Promise<void> }).poll();
    await expect(after.result).resolves.toBe('scaled by system');
    expect(await engines[1].listInteractions({ runId: after.runId })).toHaveLength(1);
  });
});
