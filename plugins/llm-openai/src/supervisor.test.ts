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

const llm = useOpenAiTestServer({ beforeAll, afterAll }, { fallback: (request) => reply(request) });
/** Makes the pricing agent answer what does not fit its schema (its child run then fails). */
let pricerFails = false;
beforeEach(() => {
  llm.reset();
  pricerFails = false;
});

type Message = { role: string; content?: string | null; tool_call_id?: string };
const messagesOf = (request: LlmTestRequest) => request.body.messages as Message[];
const systemOf = (request: LlmTestRequest) => messagesOf(request)[0]?.content ?? '';
const toolResults = (request: LlmTestRequest) => messagesOf(request).filter((m) => m.role === 'tool');

/** The model: a supervisor that delegates twice, then sums up; two sub-agents that answer. */
function reply(request: LlmTestRequest) {
  const system = systemOf(request);
  if (system.startsWith('You research')) return { text: 'Assam is a malty black tea.' };
  if (system.startsWith('You price'))
    return { text: pricerFails ? 'no idea' : '{"price":4.5,"currency":"EUR"}' };
  if (!system.startsWith('You supervise')) return { status: 400, message: 'unknown agent' };
  const results = toolResults(request);
  if (results.length === 0)
    return {
      toolCalls: [
        { id: 'r1', name: 'research', arguments: { topic: 'assam' } },
        { id: 'p1', name: 'price', arguments: { sku: 'T-1' } },
      ],
    };
  if (results.length === 2) {
    const read = (text: string) => {
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    };
    const byId = Object.fromEntries(results.map((m) => [m.tool_call_id, read(m.content ?? 'null')]));
    return { text: JSON.stringify({ research: byId.r1, price: byId.p1 }) };
  }
  return { status: 400, message: 'unexpected conversation' };
}

const researcher: SegmentDefinition = {
  segment_id: 'researcher',
  steps: [
    {
      step_id: 'research',
      step_type: 'llm_agent',
      config: { provider: 'local', model: 'gpt-test', system_prompt: 'You research teas.', prompt: 'topic' },
    },
  ],
  edges: [],
};

const pricer: SegmentDefinition = {
  segment_id: 'pricer',
  steps: [
    {
      step_id: 'quote',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-test',
        system_prompt: 'You price teas.',
        prompt: 'sku',
        output_schema: { type: 'object', required: ['price'] },
      },
    },
  ],
  edges: [],
};

const supervisor: SegmentDefinition = {
  segment_id: 'tea_desk',
  steps: [
    {
      step_id: 'lead',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-test',
        system_prompt: 'You supervise a research agent and a pricing agent.',
        prompt: 'question',
        output_schema: { type: 'object', required: ['research', 'price'] },
        tools: [
          {
            segment_id: 'researcher',
            name: 'research',
            description: 'Researches a tea.',
            parameters: { type: 'object', required: ['topic'] },
          },
          { segment_id: 'pricer', name: 'price', parameters: { type: 'object', required: ['sku'] } },
        ],
      },
    },
  ],
  edges: [],
};

const expected = {
  lead: {
    research: { research: 'Assam is a malty black tea.' },
    price: { quote: { price: 4.5, currency: 'EUR' } },
  },
};

function makeEngine(store: Store, clock: ManualClock, workerId: string): Engine {
  const e = createEngine({
    store,
    clock,
    workerId,

    plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
  });
  return e;
}

async function prepared(): Promise<MemoryStore> {
  const memory = new MemoryStore();
  const setup = makeEngine(memory, new ManualClock(), 'setup');
  for (const segment of [researcher, pricer, supervisor]) await setup.upsertSegment(segment);
  await setup.stop();
  return memory;
}

describe('supervisor: an llm_agent that delegates to child segments as tools', () => {
  test('runs each child segment as a child run and hands its outputs to the model as the tool result', async () => {
    const memory = new MemoryStore();
    const clock = new ManualClock();
    const engine = makeEngine(memory, clock, 'w');
    for (const segment of [researcher, pricer, supervisor]) await engine.upsertSegment(segment);
    await engine.start();
    const run = await engine.startRun({ segmentId: 'tea_desk', input: { question: 'Assam?' } });
    const done = await driveOnClock(engine, clock, run.runId);
    await engine.stop();
    expect([done.status, done.error?.message]).toEqual(['completed', undefined]);
    expect(done.outputs).toEqual(expected);

    const kids = (await memory.listRuns('default')).items.filter((r) => r.parent?.runId === run.runId);
    expect(kids.map((k) => [k.segmentId, k.parent?.stepId, k.status]).sort()).toEqual([
      ['pricer', 'lead', 'completed'],
      ['researcher', 'lead', 'completed'],
    ]);
    // The tool arguments are the child's input.
    expect(kids.find((k) => k.segmentId === 'researcher')?.input).toEqual({ topic: 'assam' });

    const events = await memory.listEvents('default', run.runId);
    const delegated = events.filter((e) => e.type === 'tool.call.delegated');
    expect(delegated.map((e) => [e.data.tool, e.data.segment_id]).sort()).toEqual([
      ['price', 'pricer'],
      ['research', 'researcher'],
    ]);
    for (const e of delegated) expect(kids.map((k) => k.runId)).toContain(e.data.child_run_id as string);
    expect(
      events
        .filter((e) => e.type === 'tool.call.completed')
        .map((e) => e.data.tool)
        .sort(),
    ).toEqual(['price', 'research']);
    // The model saw the tools by their names, with the descriptions given or derived.
    const first = llm.requests.find((r) => systemOf(r).startsWith('You supervise'))!;
    const tools = first.body.tools as Array<{ function: { name: string; description: string } }>;
    expect(tools.map((t) => [t.function.name, t.function.description])).toEqual([
      ['research', 'Researches a tea.'],
      ['price', 'Delegates to the segment pricer and returns its outputs.'],
    ]);
  });

  test('a child run that fails is a failed tool call the model is told about', async () => {
    const memory = await prepared();
    const clock = new ManualClock();
    const engine = makeEngine(memory, clock, 'w');
    pricerFails = true;
    await engine.start();
    const run = await engine.startRun({ segmentId: 'tea_desk', input: { question: 'Assam?' } });
    const done = await driveOnClock(engine, clock, run.runId);
    await engine.stop();
    expect(done.status).toBe('completed');
    expect((done.outputs as { lead: { price: unknown } }).lead.price).toMatch(/^tool failed: child run/);
    const toModel = llm.requests
      .filter((r) => systemOf(r).startsWith('You supervise'))
      .flatMap(toolResults)
      .find((m) => m.tool_call_id === 'p1');
    expect(toModel?.content).toMatch(
      /^tool failed: child run .* of segment "pricer" failed: LLMT_E_AGENT_OUTPUT/,
    );
    const events = await memory.listEvents('default', run.runId);
    expect(events.find((e) => e.type === 'tool.call.failed')?.data.tool).toBe('price');
  });

  test('upsert refuses a tool naming a segment that is not registered, or that leads back to itself', async () => {
    const engine = makeEngine(new MemoryStore(), new ManualClock(), 'w');
    await engine.upsertSegment(researcher);
    const problemsOf = async (segment: SegmentDefinition) => {
      try {
        await engine.upsertSegment(segment);
        return [];
      } catch (error) {
        if (!isLlmteamError(error)) throw error;
        return (error.details as { problems: Array<{ path: string; code: string; message: string }> })
          .problems;
      }
    };
    const missing = await problemsOf(supervisor);
    expect(missing.map((p) => [p.path, p.code])).toEqual([
      ['$.steps[0].config.tools[1].segment_id', 'unknown_segment'],
    ]);
    expect(missing[0]?.message).toContain(
      'step "lead", config.tools[1].segment_id: segment "pricer" is not registered',
    );

    const self = structuredClone(supervisor);
    (self.steps[0]!.config as { tools: Array<Record<string, unknown>> }).tools[1] = {
      segment_id: 'tea_desk',
      name: 'again',
    };
    expect((await problemsOf(self)).map((p) => [p.path, p.code])).toEqual([
      ['$.steps[0].config.tools[1].segment_id', 'segment_cycle'],
    ]);
    const nameless = structuredClone(supervisor);
    (nameless.steps[0]!.config as { tools: Array<Record<string, unknown>> }).tools = [{ description: 'x' }];
    expect((await problemsOf(nameless)).map((p) => p.path)).toEqual(['$.steps[0].config.tools[0]']);
    await engine.stop();
  });
});

/** Which agent and turn a model request belongs to. */
const agentTurn = (request: LlmTestRequest) => {
  const system = systemOf(request);
  if (system.startsWith('You supervise')) return `lead:${toolResults(request).length ? 2 : 1}`;
  return system.startsWith('You research') ? 'research:1' : 'quote:1';
};

describe('supervisor with two child segments, crashed at every commit', () => {
  test('starts no child twice, repeats only the model calls in flight, and ends as an uninterrupted run', async () => {
    const probe = new CrashingStore(await prepared(), Number.POSITIVE_INFINITY, 'before');
    const probeClock = new ManualClock();
    const probeEngine = makeEngine(probe.asStore(), probeClock, 'probe');
    await probeEngine.start();
    const probeRun = await probeEngine.startRun({ segmentId: 'tea_desk', input: { question: 'Assam?' } });
    expect((await driveOnClock(probeEngine, probeClock, probeRun.runId)).outputs).toEqual(expected);
    await probeEngine.stop();
    const total = probe.commits;
    // The supervisor's and both children's commits: starts, model calls, delegations, results, ends.
    expect(total).toBeGreaterThan(15);

    for (const mode of ['before', 'after'] as const) {
      for (let crashAt = 1; crashAt <= total; crashAt++) {
        const label = `${mode} commit ${crashAt}`;
        llm.reset();
        const memory = await prepared();
        const clock = new ManualClock();
        const crashing = new CrashingStore(memory, crashAt, mode);
        const first = makeEngine(crashing.asStore(), clock, 'first');
        await first
          .start()
          .then(() => first.startRun({ segmentId: 'tea_desk', input: { question: 'Assam?' } }))
          .then((run) => driveOnClock(first, clock, run.runId))
          .catch(() => undefined);
        await first.stop({ graceMs: 10 });
        expect(crashing.dead, label).toBe(true);
        const top = (await memory.listRuns('default')).items.find((r) => !r.parent);
        if (!top) continue; // died before the run existed
        clock.advance(60_000); // the dead worker's leases expire
        const second = makeEngine(memory, clock, 'second');
        await second.start();
        const done = await driveOnClock(second, clock, top.runId);
        await second.stop();

        expect([done.status, done.error?.message], label).toEqual(['completed', undefined]);
        expect(done.outputs, label).toEqual(expected);
        const kids = (await memory.listRuns('default')).items.filter((r) => r.parent?.runId === top.runId);
        expect(kids.map((k) => [k.segmentId, k.status]).sort(), label).toEqual([
          ['pricer', 'completed'],
          ['researcher', 'completed'],
        ]);
        // A model call is paid twice only when its response was in flight at the crash.
        const perTurn = new Map<string, number>();
        for (const r of llm.requests) perTurn.set(agentTurn(r), (perTurn.get(agentTurn(r)) ?? 0) + 1);
        expect([...perTurn.keys()].sort(), label).toEqual(['lead:1', 'lead:2', 'quote:1', 'research:1']);
        for (const [turn, n] of perTurn) expect(n, `${label} ${turn}`).toBeLessThanOrEqual(2);
        expect(llm.requests.length, label).toBeLessThanOrEqual(6);

        const events = await memory.listEvents('default', top.runId);
        expect(
          events.map((e) => e.seq),
          label,
        ).toEqual(events.map((_, i) => i + 1));
        expect(
          events.filter((e) => e.type === 'model.call.completed').map((e) => e.data.turn),
          label,
        ).toEqual([1, 2]);
        const delegated = events.filter((e) => e.type === 'tool.call.delegated');
        // Each call names the one child it started, whichever commit the crash hit.
        for (const tool of ['price', 'research']) {
          const ids = delegated.filter((e) => e.data.tool === tool).map((e) => e.data.child_run_id);
          expect(ids.length, `${label} ${tool}`).toBeLessThanOrEqual(1);
          for (const id of ids)
            expect(
              kids.map((k) => k.runId),
              `${label} ${tool}`,
            ).toContain(id);
        }
        expect(
          events
            .filter((e) => e.type === 'tool.call.completed')
            .map((e) => e.data.tool)
            .sort(),
          label,
        ).toEqual(['price', 'research']);
      }
    }
  }, 300_000);
});
