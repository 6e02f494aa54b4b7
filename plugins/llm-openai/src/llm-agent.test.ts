import {
  createEngine,
  type Engine,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
  type Store,
} from '@llmteam/core';
import { type LlmTestRequest, type ScriptedReply, useOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { CrashingStore } from '../../../packages/core/src/engine/test-helpers.js';
import plugin from './index.js';

const llm = useOpenAiTestServer(
  { beforeAll, afterAll, beforeEach },
  { fallback: (request) => agentReply(request) },
);

/** Model turns, keyed by how many tool results the conversation holds. */
const turns: Record<number, ScriptedReply> = {
  0: {
    toolCalls: [
      { id: 'c1', name: 'check_inventory', arguments: { sku: 'A1' } },
      { id: 'c2', name: 'check_inventory', arguments: { sku: 'B2' } },
    ],
    usage: { inputTokens: 30, outputTokens: 10 },
  },
  2: {
    toolCalls: [{ id: 'c3', name: 'reserve', arguments: { sku: 'A1', qty: 2 } }],
    usage: { inputTokens: 50, outputTokens: 8 },
  },
  3: { text: '{"total":25,"reserved":true}', usage: { inputTokens: 60, outputTokens: 6 } },
};
const toolResults = (request: LlmTestRequest) =>
  (request.body.messages as Array<{ role: string }>).filter((m) => m.role === 'tool').length;
function agentReply(request: LlmTestRequest): ScriptedReply {
  return turns[toolResults(request)] ?? { status: 400, message: 'unexpected conversation' };
}

const segment: SegmentDefinition = {
  segment_id: 'pricer',
  steps: [
    {
      step_id: 'price',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-test',
        system_prompt: 'You price orders.',
        prompt: '"Price order " & order',
        max_turns: 5,
        output_schema: { type: 'object', required: ['total'], properties: { total: { type: 'number' } } },
        tools: [
          {
            action: 'check_inventory',
            parameters: { type: 'object', properties: { sku: { type: 'string' } } },
          },
          { action: 'reserve' },
        ],
      },
    },
  ],
  edges: [],
};

function makeEngine(store: Store, sideEffects: string[], name = 'w', clock?: ManualClock) {
  const engine = createEngine({
    store,
    clock,
    workerId: name,
    // Short leases only where the test's clock expires them; a live worker keeps its run.
    leaseMs: clock ? 30 : 30_000,
    plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
  });
  engine.actions.defineFunction('check_inventory', async (input, ctx) => {
    sideEffects.push(ctx.idempotencyKey);
    return { sku: (input as { sku: string }).sku, qty: 3 };
  });
  engine.actions.defineFunction('reserve', async (_input, ctx) => {
    sideEffects.push(ctx.idempotencyKey);
    return { ok: true };
  });
  return engine;
}

async function runToEnd(engine: Engine) {
  await engine.start();
  const run = await engine.startRun({ segment, input: { order: 'o-1' } });
  const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
  await engine.stop();
  return done;
}

describe('llm_agent', () => {
  test('runs a 3-turn agent with parallel tool calls through the provider and the actions', async () => {
    const effects: string[] = [];
    const done = await runToEnd(makeEngine(new MemoryStore(), effects));
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({ price: { total: 25, reserved: true } });
    expect(llm.calls).toBe(3);
    expect(effects.sort()).toEqual([
      `${done.runId}:price:1:c1`,
      `${done.runId}:price:1:c2`,
      `${done.runId}:price:2:c3`,
    ]);
    const first = llm.requests[0]?.body;
    expect(first?.messages).toEqual([
      { role: 'system', content: 'You price orders.' },
      { role: 'user', content: 'Price order o-1' },
    ]);
  });

  test('a crash at every commit point repeats no committed model call and no tool side effect', async () => {
    const reference = await runToEnd(makeEngine(new MemoryStore(), []));
    const probe = new CrashingStore(new MemoryStore(), Number.POSITIVE_INFINITY, 'before');
    await runToEnd(makeEngine(probe.asStore(), []));
    const totalCommits = probe.commits;
    expect(totalCommits).toBeGreaterThan(5);
    for (const mode of ['before', 'after'] as const) {
      for (let crashAt = 2; crashAt <= totalCommits; crashAt++) {
        llm.reset();
        const memory = new MemoryStore();
        const effects: string[] = [];
        const crashing = new CrashingStore(memory, crashAt, mode);
        // Leases expire when the test moves this clock, never by themselves.
        const clock = new ManualClock();
        const first = makeEngine(crashing.asStore(), effects, 'first', clock);
        await first.start().catch(() => undefined);
        await first.startRun({ segment, input: { order: 'o-1' } }).catch(() => undefined);
        await crashing.died;
        await first.stop().catch(() => undefined);
        const [stored] = (await memory.listRuns('default')).items;
        if (!stored) continue;
        clock.advance(31); // the dead worker's lease expires
        const second = makeEngine(memory, effects, 'second', clock);
        await second.start();
        const done = await second.waitForRun(stored.runId, {
          until: ['completed', 'failed'],
          timeoutMs: 10_000,
        });
        await second.stop();
        const label = `${mode} crash at commit ${crashAt}`;
        expect(done.status, label).toBe('completed');
        expect(done.outputs, label).toEqual(reference.outputs);
        // At most the call in flight at the crash is made again.
        const perTurn = [0, 2, 3].map((n) => llm.requests.filter((r) => toolResults(r) === n).length);
        expect(
          perTurn.every((count) => count >= 1 && count <= 2),
          `${label}: ${perTurn}`,
        ).toBe(true);
        expect(llm.calls, label).toBeLessThanOrEqual(4);
        // A receiver that dedups by key sees each side effect once.
        expect([...new Set(effects)].sort(), label).toEqual([
          `${stored.runId}:price:1:c1`,
          `${stored.runId}:price:1:c2`,
          `${stored.runId}:price:2:c3`,
        ]);
      }
    }
  });
});
