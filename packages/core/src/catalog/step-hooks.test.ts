// A plugin step type written only against the public API (the package entry point): it
// waits for a signal from outside, owns a reminder timer, closes its ticket when the run is
// cancelled, and has a bounded back edge. It must be as durable as the built-in human_task.
import {
  createEngine,
  defineStepType,
  type Engine,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
  StepCatalog,
  type StepStateRecord,
  type StepTypeDefinition,
  validateSegment,
} from '@llmteam/core';
import { describe, expect, test } from 'vitest';
import { crashAtEveryCommit, recorder } from '../engine/test-helpers.js';

// A plugin registers its own event types by augmenting core's registry.
declare module '@llmteam/core' {
  interface WorktrailEventMap {
    'acme.ticket.opened': { ticket: string };
    'acme.ticket.reminded': { ticket: string };
    'acme.ticket.closed': { ticket: string; cause: string };
    'acme.counted': { count: number };
  }
}

/** The outside ticket system: tickets by key, opened at least once, closed by the run. */
interface Ticket {
  queue: string;
  closed?: string;
  reminders: number;
}

interface TicketPayload {
  ticket: string;
  reminder: string;
}

/** What the ticket system sends back when someone works on a ticket. */
interface TicketUpdate {
  ticket: string;
  resolution: 'resolved' | 'reopened';
  note?: string;
}

function ticketWait(tickets: Map<string, Ticket>): StepTypeDefinition {
  const outputsFor = (input: unknown, update: TicketUpdate) =>
    update.resolution === 'resolved'
      ? { resolved: input, output: { ticket: update.ticket, note: update.note } }
      : { reopened: update.note ?? '', output: { ticket: update.ticket, note: update.note } };
  return defineStepType<{ queue: string; max_reopens?: number; remind_after?: number }>({
    type: 'acme.ticket_wait',
    displayName: 'Wait for a ticket',
    category: 'INTEGRATION',
    configSchema: {
      type: 'object',
      required: ['queue'],
      properties: {
        queue: { type: 'string' },
        max_reopens: { type: 'integer' },
        remind_after: { type: 'number', description: 'Seconds until the reminder.' },
      },
    },
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'resolved' }, { port_id: 'reopened' }, { port_id: 'output' }],
    backEdges: [
      {
        port: 'reopened',
        bound: (step) => {
          const max = step.config?.max_reopens ?? 2;
          return typeof max === 'number' && max >= 1 ? max : 'config.max_reopens >= 1';
        },
      },
    ],
    handler(ctx) {
      // Resumed while the run was paused: the update arrives here instead of onSignal.
      const update = ctx.resume as TicketUpdate | undefined;
      if (update) return outputsFor(ctx.input, update);
      // One ticket per attempt: a re-run after a crash finds the same one.
      const ticket = ctx.idempotencyKey;
      if (!tickets.has(ticket)) tickets.set(ticket, { queue: ctx.config.queue, reminders: 0 });
      const reminder = ctx.newId('tmr');
      const dueAt = new Date(ctx.clock.now() + (ctx.config.remind_after ?? 1800) * 1000).toISOString();
      return ctx.suspend({ ticket, reminder } satisfies TicketPayload, {
        timers: [{ timerId: reminder, kind: 'remind', dueAt, payload: { ticket } }],
        events: [{ type: 'acme.ticket.opened', data: { ticket } }],
      });
    },
    onSignal(commit, data) {
      const payload = commit.state.suspension?.payload as TicketPayload;
      const update = data as TicketUpdate;
      if (update?.ticket !== payload.ticket) return; // about another ticket: keep waiting
      commit.removeTimer(payload.reminder);
      commit.complete(outputsFor(commit.input, update));
    },
    timers: {
      remind(commit, timer) {
        const payload = commit.state.suspension?.payload as TicketPayload | undefined;
        if (commit.state.status !== 'waiting' || !payload || payload.ticket !== timer.payload?.ticket) return;
        commit.emit('acme.ticket.reminded', { ticket: payload.ticket });
        commit.afterCommit(() => {
          tickets.get(payload.ticket)!.reminders++;
        });
      },
    },
    onClose(commit, reason) {
      const payload = commit.state.suspension?.payload as TicketPayload | undefined;
      if (!payload) return;
      commit.emit('acme.ticket.closed', { ticket: payload.ticket, cause: reason.cause });
      commit.afterCommit(() => {
        tickets.get(payload.ticket)!.closed = reason.cause;
      });
    },
  });
}

function loopSegment(gate: SegmentDefinition['steps'][number]): SegmentDefinition {
  return {
    segment_id: `loop_${gate.step_type}`,
    steps: [
      { step_id: 'draft', step_type: 'record', inputs: [{ port_id: 'input' }] },
      gate,
      { step_id: 'publish', step_type: 'record', inputs: [{ port_id: 'input' }] },
    ],
    edges: [
      { source_step: 'draft', target_step: 'gate' },
      {
        source_step: 'gate',
        source_port: gate.step_type === 'human_task' ? 'approved' : 'resolved',
        target_step: 'publish',
      },
      {
        source_step: 'gate',
        source_port: gate.step_type === 'human_task' ? 'changes_requested' : 'reopened',
        target_step: 'draft',
        target_port: 'feedback',
      },
    ],
  };
}

const ticketGate = {
  step_id: 'gate',
  step_type: 'acme.ticket_wait',
  config: { queue: 'ops', max_reopens: 1 },
};

async function answerTicket(engine: Engine, runId: string, gate: StepStateRecord, decision: 'loop' | 'pass') {
  const { ticket } = gate.suspension!.payload as TicketPayload;
  await engine.signal(runId, 'gate', {
    ticket,
    resolution: decision === 'loop' ? 'reopened' : 'resolved',
    note: decision === 'loop' ? 'still broken' : 'fixed',
  } satisfies TicketUpdate);
}

describe('a plugin step type built only on the public step hooks', () => {
  test('waits for a signal, reminds once per wait, loops back once, and finishes in the signal commit', async () => {
    const tickets = new Map<string, Ticket>();
    const clock = new ManualClock();
    const calls: Array<{ stepId: string; key: string; at: number }> = [];
    const engine = createEngine({
      store: new MemoryStore(),
      clock,
      stepTypes: [recorder(calls), ticketWait(tickets)],
    });
    const run = await engine.startRun({ segment: loopSegment(ticketGate), input: 'v1' });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_action');
    const [ticket] = [...tickets.keys()];
    expect(ticket).toBe(`${run.runId}:gate:1`);

    clock.advance(1800_000);
    await (engine as unknown as { poll(): Promise<void> }).poll();
    expect(tickets.get(ticket)!.reminders).toBe(1);

    await engine.signal(run.runId, 'gate', { ticket, resolution: 'reopened', note: 'still broken' });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_action');
    const second = `${run.runId}:gate:2`;
    expect(tickets.has(second)).toBe(true);
    const draft = (await engine.getRun(run.runId))!.steps.find((s) => s.stepId === 'draft')!;
    expect(draft).toMatchObject({ iteration: 1, inputs: { feedback: 'still broken' } });

    // The bound (max_reopens: 1) is enforced by the engine, whatever the hook does.
    await expect(
      engine.signal(run.runId, 'gate', { ticket: second, resolution: 'reopened' }),
    ).rejects.toMatchObject({ code: 'LLMT_E_LOOP_LIMIT' });
    // A signal about another ticket changes nothing; a step that is not waiting refuses one.
    await engine.signal(run.runId, 'gate', { ticket: 'other', resolution: 'resolved' });
    await expect(engine.signal(run.runId, 'publish', {})).rejects.toMatchObject({ code: 'LLMT_E_RUN_STATE' });

    await engine.signal(run.runId, 'gate', { ticket: second, resolution: 'resolved', note: 'fixed' });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({ publish: { from: 'publish', input: { from: 'draft', input: 'v1' } } });
    // The reminder of the second wait was removed with the signal: it never fires.
    clock.advance(24 * 3600_000);
    await (engine as unknown as { poll(): Promise<void> }).poll();
    expect(tickets.get(second)!.reminders).toBe(0);
    const audit = await engine.listAudit();
    expect(audit.filter((a) => a.action === 'step.signalled')).toHaveLength(3);
    await engine.stop();
  });

  test('cancelling the run closes the open ticket in the cancelling commit', async () => {
    const tickets = new Map<string, Ticket>();
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [recorder([]), ticketWait(tickets)] });
    const run = await engine.startRun({ segment: loopSegment(ticketGate), input: 1 });
    await engine.waitForRun(run.runId);
    await engine.cancelRun(run.runId);
    const [ticket] = tickets.values();
    expect(ticket.closed).toBe('cancelled');
    const events = await engine.store.listEvents('default', run.runId);
    const closed = events.findIndex((e) => e.type === 'acme.ticket.closed');
    expect(closed).toBeGreaterThan(0);
    expect(events[closed + 1]?.type).toBe('run.cancelled');
    expect(await engine.store.listTimers('default', run.runId)).toEqual([]);
  });

  test('a signal while the run is paused reaches the handler on resume', async () => {
    const tickets = new Map<string, Ticket>();
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [recorder([]), ticketWait(tickets)] });
    const run = await engine.startRun({ segment: loopSegment(ticketGate), input: 1 });
    await engine.waitForRun(run.runId);
    await engine.pauseRun(run.runId);
    const [ticket] = tickets.keys();
    await engine.signal(run.runId, 'gate', { ticket, resolution: 'resolved' });
    expect((await engine.getRun(run.runId))!.run.status).toBe('paused');
    await engine.resumeRun(run.runId);
    expect((await engine.waitForRun(run.runId, { until: ['completed', 'failed'] })).status).toBe('completed');
  });

  test('validation allows a cycle only through a declared back-edge port, with a valid bound', () => {
    const catalog = new StepCatalog();
    catalog.register(ticketWait(new Map()));
    catalog.register(recorder([]));
    expect(validateSegment(loopSegment(ticketGate), catalog).problems).toEqual([]);
    const unbounded = loopSegment({ ...ticketGate, config: { queue: 'ops', max_reopens: 0 } });
    expect(validateSegment(unbounded, catalog).problems).toEqual([
      expect.objectContaining({ code: 'unbounded_loop', message: expect.stringContaining('max_reopens') }),
    ]);
    const throughOtherPort = loopSegment(ticketGate);
    throughOtherPort.edges![2].source_port = 'output';
    expect(validateSegment(throughOtherPort, catalog).problems.map((p) => p.code)).toContain('cycle');
  });

  test('a handler checkpoint is committed, survives a re-run, and is refused once the step moved on', async () => {
    const seen: unknown[] = [];
    let fail = true;
    const engine = createEngine({
      store: new MemoryStore(),
      stepTypes: [
        defineStepType({
          type: 'acme.counter',
          displayName: 'Counter',
          category: 'UTILITY',
          configSchema: {},
          inputs: [{ port_id: 'input' }],
          outputs: [{ port_id: 'output' }],
          async handler(ctx) {
            seen.push(ctx.checkpointed);
            const count = ((ctx.checkpointed as number | undefined) ?? 0) + 1;
            await ctx.checkpoint(count, { events: [{ type: 'acme.counted', data: { count } }] });
            expect(ctx.checkpointed).toBe(count);
            if (fail) {
              fail = false;
              throw new Error('flaky');
            }
            return { output: count };
          },
        }),
      ],
    });
    const run = await engine.startRun({
      segment: {
        segment_id: 'count',
        steps: [
          { step_id: 'c', step_type: 'acme.counter', retry: { max_attempts: 2, backoff: 0, jitter: 0 } },
        ],
      },
    });
    await engine.start();
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ c: 2 });
    expect(seen).toEqual([undefined, 1]);
    const events = await engine.store.listEvents('default', run.runId);
    expect(events.filter((e) => e.type === 'acme.counted').map((e) => e.data.count)).toEqual([1, 2]);
    await engine.stop();
  });
});

describe('crash at every commit point', () => {
  const check = (outcomes: Awaited<ReturnType<typeof crashAtEveryCommit>>, reminderEvent: string) => {
    expect(outcomes.length).toBeGreaterThan(10);
    for (const { label, run, events, calls } of outcomes) {
      expect(run.status, label).toBe('completed');
      expect(
        events.map((e) => e.seq),
        label,
      ).toEqual(events.map((_, i) => i + 1));
      const completed = events.filter((e) => e.type === 'step.completed').map((e) => e.step_id);
      expect(completed.sort(), label).toEqual(['draft', 'draft', 'gate', 'gate', 'publish']);
      expect(
        events.filter((e) => e.type === reminderEvent),
        label,
      ).toHaveLength(2);
      expect(
        events.filter((e) => e.type === 'step.revision'),
        label,
      ).toHaveLength(1);
      // At least once, idempotent by key: one key per pass of each step.
      expect(new Set(calls.filter((c) => c.stepId === 'draft').map((c) => c.key)).size, label).toBe(2);
      expect(new Set(calls.filter((c) => c.stepId === 'publish').map((c) => c.key)).size, label).toBe(1);
      expect(run.outputs, label).toEqual({
        publish: { from: 'publish', input: { from: 'draft', input: 1 } },
      });
    }
  };

  test('ticket_wait loses nothing: every run completes, each pass once, each reminder once', async () => {
    const tickets = new Map<string, Ticket>();
    const outcomes = await crashAtEveryCommit({
      stepTypes: [ticketWait(tickets)],
      segment: loopSegment(ticketGate),
      reminderEvent: 'acme.ticket.reminded',
      answer: answerTicket,
    });
    check(outcomes, 'acme.ticket.reminded');
  }, 60_000);

  test('human_task passes the same test', async () => {
    const outcomes = await crashAtEveryCommit({
      stepTypes: [],
      segment: loopSegment({
        step_id: 'gate',
        step_type: 'human_task',
        config: { task_type: 'review', title: 'Review', max_revisions: 1, sla_warning: 'PT30M' },
      }),
      reminderEvent: 'interaction.sla_warning',
      async answer(engine, runId, _gate, decision) {
        const [request] = await engine.listInteractions({
          runId,
          status: ['pending', 'notified', 'in_progress'],
        });
        await engine.respond(
          request.interactionId,
          decision === 'loop' ? { action: 'request_changes', comment: 'shorter' } : { action: 'approve' },
        );
      },
    });
    check(outcomes, 'interaction.sla_warning');
  }, 60_000);
});
