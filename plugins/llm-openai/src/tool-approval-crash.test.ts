import {
  type Commit,
  type CommitResult,
  createEngine,
  type Engine,
  ManualClock,
  MemoryStore,
  type RunRecord,
  type SegmentDefinition,
  type Store,
} from '@llmteam/core';
import { type LlmTestRequest, useOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import plugin from './index.js';

const llm = useOpenAiTestServer({ beforeAll, afterAll }, { fallback: (request) => reply(request) });

/** Turns of the agent, keyed by how many tool results the conversation holds. */
const toolResults = (request: LlmTestRequest) =>
  (request.body.messages as Array<{ role: string }>).filter((m) => m.role === 'tool').length;
function reply(request: LlmTestRequest) {
  switch (toolResults(request)) {
    case 0:
      return { toolCalls: [{ id: 'inv', name: 'check_inventory', arguments: { sku: 'A1' } }] };
    case 1:
      return {
        text: 'In stock; the total needs approval.',
        toolCalls: [{ id: 'order', name: 'create_order', arguments: { sku: 'A1', amount: 1500 } }],
      };
    case 2:
      return { text: '{"order_id":"o-1","total":1500}' };
    default:
      return { status: 400, message: 'unexpected conversation' };
  }
}

const segment: SegmentDefinition = {
  segment_id: 'executor',
  steps: [
    {
      step_id: 'execute',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-test',
        prompt: '"Order " & sku',
        output_schema: { type: 'object', required: ['order_id'] },
        tools: [
          { action: 'check_inventory' },
          { action: 'create_order', requires_approval: 'amount > 1000', assignee_ref: 'group:finance' },
        ],
      },
    },
  ],
  edges: [],
};

/** A store that dies at its N-th commit (before or after applying it) and says what that commit held. */
function crashingStore(inner: MemoryStore, crashAt: number, mode: 'before' | 'after') {
  const state = { commits: 0, dead: false, fatal: undefined as Commit | undefined };
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === 'commit')
        return async (commit: Commit): Promise<CommitResult> => {
          if (state.dead) throw new Error('process is dead');
          if (++state.commits === crashAt) {
            state.dead = true;
            state.fatal = commit;
            if (mode === 'after') await target.commit(commit);
            throw new Error('killed');
          }
          return target.commit(commit);
        };
      if (prop === 'subscribe' || prop === 'init' || prop === 'close') return value.bind(target);
      return (...args: unknown[]) =>
        state.dead ? Promise.reject(new Error('process is dead')) : value.apply(target, args);
    },
  }) as Store;
  return { store, state };
}

function makeEngine(store: Store, clock: ManualClock, effects: string[], workerId: string): Engine {
  const engine = createEngine({
    store,
    clock,
    workerId,
    plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
  });
  for (const name of ['check_inventory', 'create_order'])
    engine.actions.defineFunction(name, async (input, ctx) => {
      effects.push(ctx.idempotencyKey);
      return { ok: true, ...(input as object) };
    });
  return engine;
}

const poll = (engine: Engine) => (engine as unknown as { poll(): Promise<void> }).poll();

/** Drives the run from whatever the store holds until it ends, approving the tool call when asked. */
async function drive(engine: Engine, runId: string): Promise<RunRecord> {
  for (let round = 0; round < 100; round++) {
    await poll(engine);
    const run = await engine.store.getRun('default', runId);
    if (!run) throw new Error(`run ${runId} vanished`);
    if (['completed', 'failed', 'cancelled'].includes(run.status)) return run;
    if (run.status === 'waiting_human') {
      const [open] = await engine.listInteractions({ runId, status: 'pending' });
      if (open)
        await engine.respond(open.interactionId, {
          action: 'approve',
          actor: { subject: 'fiona', groups: ['finance'], roles: ['approver'] },
        });
    }
    await engine.waitForRun(runId, { timeoutMs: 100 }).catch(() => undefined);
  }
  throw new Error(`run ${runId} did not finish`);
}

describe('llm_agent with a tool approval, crashed at every commit', () => {
  test('repeats no committed model call, runs no tool twice, and ends as an uninterrupted run', async () => {
    const probe = crashingStore(new MemoryStore(), Number.POSITIVE_INFINITY, 'before');
    const probeEngine = makeEngine(probe.store, new ManualClock(), [], 'probe');
    await probeEngine.start();
    const reference = await drive(
      probeEngine,
      (await probeEngine.startRun({ segment, input: { sku: 'A1' } })).runId,
    );
    await probeEngine.stop();
    expect(reference.status).toBe('completed');
    expect(reference.outputs).toEqual({ execute: { order_id: 'o-1', total: 1500 } });
    const total = probe.state.commits;
    expect(total).toBeGreaterThan(8);

    for (const mode of ['before', 'after'] as const) {
      for (let crashAt = 1; crashAt <= total; crashAt++) {
        const label = `${mode} commit ${crashAt}`;
        llm.reset();
        const memory = new MemoryStore();
        const clock = new ManualClock();
        const effects: string[] = [];
        const crashing = crashingStore(memory, crashAt, mode);
        const first = makeEngine(crashing.store, clock, effects, 'first');
        await first
          .start()
          .then(() => first.startRun({ segment, input: { sku: 'A1' } }))
          .then((run) => drive(first, run.runId))
          .catch(() => undefined);
        await first.stop({ graceMs: 10 });
        expect(crashing.state.dead, label).toBe(true);
        const [stored] = (await memory.listRuns('default')).items;
        if (!stored) continue; // died before the run existed
        clock.advance(60_000); // the dead worker's lease expires
        const second = makeEngine(memory, clock, effects, 'second');
        await second.start();
        const done = await drive(second, stored.runId);
        await second.stop();

        expect([done.status, done.error?.message], label).toEqual(['completed', undefined]);
        expect(done.outputs, label).toEqual(reference.outputs);
        // What the fatal commit would have recorded is the only thing that may happen twice.
        const lost = mode === 'before' ? (crashing.state.fatal?.events ?? []) : [];
        const lostTurn = lost.find((e) => e.type === 'model.call.completed')?.data.turn as number | undefined;
        const lostCall = lost.find((e) => e.type === 'tool.call.completed')?.data.call_id as
          | string
          | undefined;
        const perTurn = [0, 1, 2].map((n) => llm.requests.filter((r) => toolResults(r) === n).length);
        expect(perTurn, label).toEqual([0, 1, 2].map((n) => (lostTurn === n + 1 ? 2 : 1)));
        const keys = { inv: `${stored.runId}:execute:1:inv`, order: `${stored.runId}:execute:2:order` };
        expect([...new Set(effects)].sort(), label).toEqual([keys.inv, keys.order]);
        for (const [call, key] of Object.entries(keys))
          expect(effects.filter((k) => k === key).length, `${label} ${call}`).toBe(lostCall === call ? 2 : 1);
        const events = await memory.listEvents('default', stored.runId);
        expect(
          events.filter((e) => e.type === 'model.call.completed').map((e) => e.data.turn),
          label,
        ).toEqual([1, 2, 3]);
        expect(
          events.map((e) => e.seq),
          label,
        ).toEqual(events.map((_, i) => i + 1));
      }
    }
  }, 120_000);
});
