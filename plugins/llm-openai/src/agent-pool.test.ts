import {
  createEngine,
  type Engine,
  isLlmteamError,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
  type Store,
} from '@llmteam/core';
import { type LlmTestRequest, useOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { CrashingStore, driveOnClock } from '../../../packages/core/src/engine/test-helpers.js';
import plugin from './index.js';

const llm = useOpenAiTestServer(
  { beforeAll, afterAll, beforeEach },
  { fallback: (request) => reply(request) },
);

type Message = { role: string; content?: string | null; tool_call_id?: string };
const messagesOf = (request: LlmTestRequest) => request.body.messages as Message[];

/** An editor that asks its writing pool for as many drafts as the prompt says, then lists them. */
function reply(request: LlmTestRequest) {
  const messages = messagesOf(request);
  const results = messages.filter((m) => m.role === 'tool');
  if (!results.length) {
    const n = Number(messages.at(-1)?.content ?? '1');
    return {
      toolCalls: Array.from({ length: n }, (_, i) => ({
        id: `w${i + 1}`,
        name: 'write',
        arguments: { topic: `topic ${i + 1}` },
      })),
    };
  }
  return { text: results.map((m) => JSON.parse(m.content ?? '{}').draft).join(' | ') };
}

const writer = (id: string): SegmentDefinition => ({
  segment_id: id,
  steps: [{ step_id: 'draft', step_type: 'transform', config: { expression: `"${id}: " & topic` } }],
  edges: [],
});

const editor: SegmentDefinition = {
  segment_id: 'editor',
  steps: [
    {
      step_id: 'edit',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-test',
        system_prompt: 'You edit.',
        prompt: '$string(drafts)',
        tools: [
          {
            pool: ['writer_a', { segment_id: 'writer_b', skills: ['de'] }, 'writer_c'],
            name: 'write',
            parameters: { type: 'object', required: ['topic'] },
          },
        ],
      },
    },
  ],
  edges: [],
};

function makeEngine(store: Store): Engine {
  return createEngine({ store, plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }] });
}

async function run(engine: Engine, drafts: number) {
  const started = await engine.startRun({ segmentId: 'editor', input: { drafts } });
  const done = await engine.waitForRun(started.runId, { until: ['completed', 'failed'], timeoutMs: 20_000 });
  const events = await engine.store.listEvents('default', started.runId);
  return { done, assigned: events.filter((e) => e.type === 'agent.assigned') };
}

describe('agent pools as tools', () => {
  test('calls go to the pool’s agents in turn, as child runs, and the turn goes on after a restart', async () => {
    const store = new MemoryStore();
    let engine = makeEngine(store);
    for (const s of [writer('writer_a'), writer('writer_b'), writer('writer_c'), editor])
      await engine.upsertSegment(s);
    await engine.start();
    const first = await run(engine, 4);
    expect([first.done.status, first.done.error?.message]).toEqual(['completed', undefined]);
    expect(first.done.outputs).toEqual({
      edit: 'writer_a: topic 1 | writer_b: topic 2 | writer_c: topic 3 | writer_a: topic 4',
    });
    expect(
      first.assigned.map((e) => [
        e.data.call_id,
        e.data.segment_id,
        e.data.strategy,
        e.data.candidates,
        e.data.position,
      ]),
    ).toEqual([
      ['w1', 'writer_a', 'round_robin', 3, 1],
      ['w2', 'writer_b', 'round_robin', 3, 2],
      ['w3', 'writer_c', 'round_robin', 3, 3],
      ['w4', 'writer_a', 'round_robin', 3, 4],
    ]);
    const kids = (await store.listRuns('default')).items.filter((r) => r.parent?.runId === first.done.runId);
    for (const e of first.assigned)
      expect(kids.find((k) => k.runId === e.data.child_run_id)?.segmentId).toBe(e.data.segment_id);
    await engine.stop();

    // A new engine on the same store goes on with the next agent in turn.
    engine = makeEngine(store);
    await engine.start();
    const second = await run(engine, 2);
    expect(second.done.outputs).toEqual({ edit: 'writer_b: topic 1 | writer_c: topic 2' });
    await engine.stop();
  });

  test('two engines on one store calling the pool at once take its agents strictly in turn', async () => {
    const store = new MemoryStore();
    const engines = [makeEngine(store), makeEngine(store)];
    for (const s of [writer('writer_a'), writer('writer_b'), writer('writer_c'), editor])
      await engines[0]!.upsertSegment(s);
    for (const engine of engines) await engine.start();
    const runs = await Promise.all([...engines, ...engines].map((engine) => run(engine, 3)));
    for (const engine of engines) await engine.stop();
    for (const r of runs) expect(r.done.status).toBe('completed');
    const order = runs
      .flatMap((r) => r.assigned)
      .sort((a, b) => Number(a.data.position) - Number(b.data.position))
      .map((e) => [e.data.position, e.data.segment_id]);
    expect(order).toEqual(
      Array.from({ length: 12 }, (_, i) => [i + 1, ['writer_a', 'writer_b', 'writer_c'][i % 3]]),
    );
  });

  test('upsert refuses a pool agent that is not registered and skills no agent has, at the field', async () => {
    const engine = makeEngine(new MemoryStore());
    await engine.upsertSegment(writer('writer_a'));
    const bad = structuredClone(editor);
    (bad.steps[0]!.config as { tools: Array<Record<string, unknown>> }).tools[0] = {
      pool: ['writer_a', 'writer_a', { segment_id: 'writer_x' }],
      name: 'write',
      assignment: { strategy: 'capability', skills: ['fr'] },
    };
    const problemsOf = async (segment: SegmentDefinition) => {
      const error = await engine.upsertSegment(segment).catch((e: unknown) => e);
      expect(isLlmteamError(error)).toBe(true);
      return (error as { details: { problems: Array<{ path: string; code: string }> } }).details.problems.map(
        (p) => [p.path, p.code],
      );
    };
    expect((await problemsOf(bad)).sort()).toEqual([
      ['$.steps[0].config.tools[0].assignment.skills', 'invalid_step'],
      ['$.steps[0].config.tools[0].pool[1]', 'invalid_step'],
    ]);
    // Checked once the segment is valid otherwise, like every reference to a segment.
    (bad.steps[0]!.config as { tools: Array<Record<string, unknown>> }).tools[0] = {
      pool: ['writer_a', { segment_id: 'writer_x' }],
      name: 'write',
    };
    expect(await problemsOf(bad)).toEqual([
      ['$.steps[0].config.tools[0].pool[1].segment_id', 'unknown_segment'],
    ]);
    await engine.stop();
  });
});

describe('agent pools, crashed at every commit', () => {
  test('each call starts one child, each agent takes one of three calls, each choice is recorded once', async () => {
    const prepared = async () => {
      const store = new MemoryStore();
      const setup = createEngine({
        store,
        plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
      });
      for (const s of [writer('writer_a'), writer('writer_b'), writer('writer_c'), editor])
        await setup.upsertSegment(s);
      await setup.stop();
      return store;
    };
    const on = (store: Store, clock: ManualClock, workerId: string) =>
      createEngine({
        store,
        clock,
        workerId,
        plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
      });
    const probe = new CrashingStore(await prepared(), Number.POSITIVE_INFINITY, 'before');
    const probeClock = new ManualClock();
    const probeEngine = on(probe.asStore(), probeClock, 'probe');
    await probeEngine.start();
    const probeRun = await probeEngine.startRun({ segmentId: 'editor', input: { drafts: 3 } });
    await driveOnClock(probeEngine, probeClock, probeRun.runId);
    await probeEngine.stop();
    const total = probe.commits;
    expect(total).toBeGreaterThan(10);

    for (const mode of ['before', 'after'] as const) {
      for (let crashAt = 1; crashAt <= total; crashAt++) {
        const label = `${mode} commit ${crashAt}`;
        const store = await prepared();
        const clock = new ManualClock();
        const crashing = new CrashingStore(store, crashAt, mode);
        const first = on(crashing.asStore(), clock, 'first');
        await first
          .start()
          .then(() => first.startRun({ segmentId: 'editor', input: { drafts: 3 } }))
          .then((r) => driveOnClock(first, clock, r.runId))
          .catch(() => undefined);
        await first.stop({ graceMs: 10 });
        const top = (await store.listRuns('default')).items.find((r) => !r.parent);
        if (!top) continue;
        clock.advance(60_000);
        const second = on(store, clock, 'second');
        await second.start();
        const done = await driveOnClock(second, clock, top.runId);
        await second.stop();
        expect([done.status, done.error?.message], label).toEqual(['completed', undefined]);
        const kids = (await store.listRuns('default')).items.filter((r) => r.parent?.runId === top.runId);
        expect(kids.map((k) => k.segmentId).sort(), label).toEqual(['writer_a', 'writer_b', 'writer_c']);
        const assigned = (await store.listEvents('default', top.runId)).filter(
          (e) => e.type === 'agent.assigned',
        );
        expect(assigned.map((e) => e.data.call_id).sort(), label).toEqual(['w1', 'w2', 'w3']);
        for (const e of assigned)
          expect(kids.find((k) => k.runId === e.data.child_run_id)?.segmentId, label).toBe(e.data.segment_id);
      }
    }
  }, 300_000);
});
