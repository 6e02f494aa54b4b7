import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type SegmentDefinition } from '@llmteam/core';
import { afterAll, describe, expect, test } from 'vitest';
import { betterSqlite3Problem } from './sqlite-driver.js';
import { SqliteStore } from './sqlite-store.js';

const drivers =
  betterSqlite3Problem() === undefined ? (['sqlite3', 'better-sqlite3'] as const) : (['sqlite3'] as const);

const dir = mkdtempSync(join(tmpdir(), 'llmteam-sqlite-trips-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const approval: SegmentDefinition = {
  segment_id: 'approve_then_next',
  steps: [
    {
      step_id: 'ask',
      step_type: 'human_task',
      config: { task_type: 'approval', title: 'Ship it?', assignee_ref: 'alice' },
    },
    { step_id: 'next', step_type: 'transform', config: { expression: '$' } },
  ],
  edges: [{ source_step: 'ask', source_port: 'approved', target_step: 'next' }],
};

/** The same, with an SLA timer the answer removes. */
const withSla: SegmentDefinition = {
  ...approval,
  segment_id: 'approve_with_sla',
  steps: approval.steps.map((s) =>
    s.step_id === 'ask' ? { ...s, config: { ...s.config, sla_breach: 'PT4H' } } : s,
  ),
};

type Exec = { exec(sql: string, params?: readonly unknown[]): Promise<unknown> };

/** Records every statement the store sends to its connection, in order, as `read` or `commit`. */
function recordStatements(store: SqliteStore): string[] {
  const sent: string[] = [];
  const s = store as unknown as { connection(): Exec };
  const connection = s.connection.bind(store);
  s.connection = () =>
    new Proxy(connection(), {
      get: (target, key, receiver) =>
        key === 'exec'
          ? (sql: string, params?: readonly unknown[]) => {
              sent.push(
                sql.startsWith('INSERT INTO llmteam_commit')
                  ? 'commit'
                  : /^\s*SELECT/i.test(sql)
                    ? 'read'
                    : sql.slice(0, 40),
              );
              return target.exec(sql, params);
            }
          : Reflect.get(target, key, receiver),
    });
  return sent;
}

describe.each(drivers)('driver round trips of a start and an answer (%s)', (driver) => {
  async function setUp(name: string) {
    // No poll for other processes' commits during the test: only the engine's statements count.
    const store = new SqliteStore({
      path: join(dir, `${name}-${driver}.sqlite`),
      driver,
      crossProcessPollMs: 3_600_000,
    });
    await store.init();
    const engine = createEngine({ store });
    await engine.upsertSegment(approval);
    await engine.upsertSegment(withSla);
    return { store, engine, sent: recordStatements(store) };
  }

  test('a start until the run waits at its approval is two statements: start and suspension', async () => {
    const { store, engine, sent } = await setUp('start');
    const waiting = new Promise<void>((resolve) => {
      const off = engine.onEvent(
        () => {
          off();
          resolve();
        },
        { types: ['interaction.requested'] },
      );
    });
    sent.length = 0;
    const run = await engine.startRun({ segmentId: approval.segment_id, input: { n: 1 } });
    await waiting;
    expect(sent).toEqual(['commit', 'commit']);
    expect((await store.getRun('default', run.runId))?.status).toBe('waiting_human');
    await store.close();
  });

  test('an answer is one read and one commit to the next step, and one commit more to the end', async () => {
    const { store, engine, sent } = await setUp('answer');
    const run = await engine.startRun({ segmentId: approval.segment_id, input: { n: 2 } });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_human');
    const [request] = await engine.listInteractions({ runId: run.runId });
    const marks: number[] = [];
    const completed = new Promise<void>((resolve) => {
      engine.onEvent(
        (e) => {
          if (e.run_id !== run.runId) return;
          if (e.type === 'step.started') marks.push(sent.length);
          if (e.type === 'run.completed') resolve();
        },
        { types: ['step.started', 'run.completed'] },
      );
    });
    sent.length = 0;
    await engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'alice' } });
    await completed;
    // The next step started with the answer's commit, the second statement.
    expect(marks).toEqual([2]);
    expect(sent).toEqual(['read', 'commit', 'commit']);
    const done = await store.getRun('default', run.runId);
    expect(done?.status).toBe('completed');
    expect(done?.outputs).toEqual({ next: { n: 2 } });
    await store.close();
  });

  test("an answer that removes its request's SLA timer is still one read and one commit to the next step", async () => {
    const { store, engine, sent } = await setUp('sla');
    const run = await engine.startRun({ segmentId: withSla.segment_id, input: { n: 4 } });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_human');
    expect(await store.listTimers('default', run.runId)).toHaveLength(1);
    const [request] = await engine.listInteractions({ runId: run.runId });
    const completed = new Promise<void>((resolve) => {
      engine.onEvent((e) => e.run_id === run.runId && resolve(), { types: ['run.completed'] });
    });
    sent.length = 0;
    await engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'alice' } });
    await completed;
    expect(sent).toEqual(['read', 'commit', 'commit']);
    expect(await store.listTimers('default', run.runId)).toEqual([]);
    expect((await store.getRun('default', run.runId))?.outputs).toEqual({ next: { n: 4 } });
    await store.close();
  });

  test('an engine opened after the run began delivers the events of its answer without a look at the feed', async () => {
    const first = await setUp('reopened');
    const [warmUp, run] = await Promise.all(
      [5, 6].map((n) => first.engine.startRun({ segmentId: approval.segment_id, input: { n } })),
    );
    for (const r of [warmUp, run])
      expect((await first.engine.waitForRun(r.runId)).status).toBe('waiting_human');
    const [warmUpRequest] = await first.engine.listInteractions({ runId: warmUp.runId });
    const [request] = await first.engine.listInteractions({ runId: run.runId });
    await first.store.close();
    const store = new SqliteStore({
      path: join(dir, `reopened-${driver}.sqlite`),
      driver,
      crossProcessPollMs: 3_600_000,
    });
    await store.init();
    const engine = createEngine({ store });
    // The first commit of a process reads each tenant's audit head: an answer to another run.
    await engine.respond(warmUpRequest.interactionId, { action: 'approve', actor: { subject: 'alice' } });
    expect((await engine.waitForRun(warmUp.runId, { until: ['completed'] })).status).toBe('completed');
    const sent = recordStatements(store);
    const seen: number[] = [];
    const completed = new Promise<void>((resolve) => {
      engine.onEvent((e) => {
        if (e.run_id !== run.runId) return;
        seen.push(e.seq);
        if (e.type === 'run.completed') resolve();
      });
    });
    await engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'alice' } });
    await completed;
    expect(sent).toEqual(['read', 'commit', 'commit']);
    // This process's events of the run, once each and in order, from the answer on.
    const events = await store.listEvents('default', run.runId);
    const answeredAt = events.find((e) => e.type === 'interaction.responded')!.seq;
    expect(seen).toEqual(events.filter((e) => e.seq >= answeredAt).map((e) => e.seq));
    await store.close();
  });

  test('the one-statement read of a run by its interaction finds nothing for an unknown one', async () => {
    const { store, engine } = await setUp('unknown');
    const run = await engine.startRun({ segmentId: approval.segment_id, input: { n: 3 } });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_human');
    const [request] = await engine.listInteractions({ runId: run.runId });
    expect(await store.readRunState('default', { interactionId: 'nope' })).toBeUndefined();
    expect(await store.readRunState('other', { interactionId: request.interactionId })).toBeUndefined();
    const state = await store.readRunState('default', { interactionId: request.interactionId });
    expect(state?.run.runId).toBe(run.runId);
    expect(state?.steps.map((s) => s.stepId)).toEqual(['ask']);
    expect(state?.interactions.map((i) => i.interactionId)).toEqual([request.interactionId]);
    expect(await store.readRunState('default', { runId: run.runId })).toEqual(state);
    await store.close();
  });
});
