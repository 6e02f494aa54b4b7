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

type Message = { role: string; content?: string | null };
const messagesOf = (request: LlmTestRequest) => request.body.messages as Message[];
const systemOf = (request: LlmTestRequest) => messagesOf(request)[0]?.content ?? '';

/** The front desk hands billing questions off; the billing agent answers from what it was handed. */
function reply(request: LlmTestRequest) {
  const system = systemOf(request);
  if (system.startsWith('You are the front desk')) {
    if (messagesOf(request).some((m) => m.role === 'tool')) return { text: 'the front desk answered itself' };
    return {
      toolCalls: [{ id: 'h1', name: 'transfer_to_billing', arguments: { reason: 'double charge' } }],
    };
  }
  if (system.startsWith('You handle billing'))
    return { text: `Refund for ${messagesOf(request).at(-1)?.content}` };
  return { status: 400, message: 'unknown agent' };
}

const billing: SegmentDefinition = {
  segment_id: 'billing_desk',
  steps: [
    {
      step_id: 'billing',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-test',
        system_prompt: 'You handle billing.',
        prompt:
          'context.customer & " (" & context.plan & "), " & metadata.reason & " via " & metadata.queue & " from " & from.step_id',
      },
    },
  ],
  edges: [],
};

const frontdesk: SegmentDefinition = {
  segment_id: 'frontdesk',
  steps: [
    {
      step_id: 'triage',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-test',
        system_prompt: 'You are the front desk.',
        prompt: 'question',
        memory: { namespace: 'frontdesk' },
        tools: [
          {
            handoff: 'billing_desk',
            name: 'transfer_to_billing',
            context: ['customer'],
            memory: ['plan'],
            metadata: { queue: 'billing' },
            parameters: { type: 'object', required: ['reason'] },
          },
        ],
      },
    },
  ],
  edges: [],
};

const answer = { triage: { billing: 'Refund for acme (gold), double charge via billing from triage' } };
const input = { question: 'I was charged twice', customer: 'acme', card_note: 'ends 4242' };

function makeEngine(store: Store, clock: ManualClock, workerId: string): Engine {
  return createEngine({
    store,
    clock,
    workerId,
    plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
  });
}

async function prepared(): Promise<MemoryStore> {
  const store = new MemoryStore();
  const setup = makeEngine(store, new ManualClock(), 'setup');
  for (const segment of [billing, frontdesk]) await setup.upsertSegment(segment);
  await setup.memory.agent('default', 'frontdesk').set('plan', 'gold');
  await setup.memory.agent('default', 'frontdesk').set('private', 'churn risk');
  await setup.stop();
  return store;
}

describe('handoff between agents', () => {
  test('hands off with the selected context keys and metadata, and ends with the other agent’s answer', async () => {
    const store = await prepared();
    const clock = new ManualClock();
    const engine = makeEngine(store, clock, 'w');
    await engine.start();
    const run = await engine.startRun({ segmentId: 'frontdesk', input });
    const done = await driveOnClock(engine, clock, run.runId);
    await engine.stop();
    expect([done.status, done.error?.message]).toEqual(['completed', undefined]);
    expect(done.outputs).toEqual(answer);
    // The front desk made one model call: the agent that took over answered for it.
    expect(llm.requests.map((r) => systemOf(r))).toEqual(['You are the front desk.', 'You handle billing.']);

    const child = (await store.listRuns('default')).items.find((r) => r.parent?.runId === run.runId)!;
    expect(child.segmentId).toBe('billing_desk');
    expect(child.input).toEqual({
      context: { customer: 'acme', plan: 'gold' },
      metadata: { queue: 'billing', reason: 'double charge' },
      from: { run_id: run.runId, step_id: 'triage', agent: 'frontdesk' },
    });
    // Keys not selected never reach the other agent.
    expect(JSON.stringify(llm.requests[1]!.body)).not.toMatch(/4242|churn/);

    const events = await store.listEvents('default', run.runId);
    const handoff = events.filter((e) => e.type === 'agent.handoff');
    expect(handoff.map((e) => [e.step_id, e.data])).toEqual([
      [
        'triage',
        {
          turn: 1,
          call_id: 'h1',
          tool: 'transfer_to_billing',
          child_run_id: child.runId,
          segment_id: 'billing_desk',
          version: child.segmentVersion,
          keys: ['customer', 'plan'],
          metadata: { queue: 'billing', reason: 'double charge' },
        },
      ],
    ]);
    // Recorded in the commit that records the delegation.
    const delegated = events.find((e) => e.type === 'tool.call.delegated')!;
    expect(delegated.seq).toBe(handoff[0]!.seq + 1);
    const audit = (await store.listAudit('default')).filter((a) => a.action === 'agent.handoff');
    expect(audit.map((a) => [a.actor, a.runId, a.target, a.data])).toEqual([
      [
        'agent:triage',
        run.runId,
        child.runId,
        {
          step_id: 'triage',
          segment_id: 'billing_desk',
          version: child.segmentVersion,
          keys: ['customer', 'plan'],
          metadata: { queue: 'billing', reason: 'double charge' },
        },
      ],
    ]);
    expect((await engine.audit.verify('default')).valid).toBe(true);
  });

  test('upsert refuses a handoff to a segment that is not registered, at the field', async () => {
    const engine = makeEngine(new MemoryStore(), new ManualClock(), 'w');
    const error = await engine.upsertSegment(frontdesk).catch((e: unknown) => e);
    expect(isLlmteamError(error)).toBe(true);
    const problems = (error as { details: { problems: Array<{ path: string; code: string }> } }).details
      .problems;
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['$.steps[0].config.tools[0].handoff', 'unknown_segment'],
    ]);
    await engine.stop();
  });
});

describe('handoff, crashed at every commit', () => {
  test('hands off once, whichever commit the crash hits', async () => {
    const probe = new CrashingStore(await prepared(), Number.POSITIVE_INFINITY, 'before');
    const probeClock = new ManualClock();
    const probeEngine = makeEngine(probe.asStore(), probeClock, 'probe');
    await probeEngine.start();
    const probeRun = await probeEngine.startRun({ segmentId: 'frontdesk', input });
    expect((await driveOnClock(probeEngine, probeClock, probeRun.runId)).outputs).toEqual(answer);
    await probeEngine.stop();
    const total = probe.commits;
    expect(total).toBeGreaterThan(8);

    for (const mode of ['before', 'after'] as const) {
      for (let crashAt = 1; crashAt <= total; crashAt++) {
        const label = `${mode} commit ${crashAt}`;
        llm.reset();
        const store = await prepared();
        const clock = new ManualClock();
        const crashing = new CrashingStore(store, crashAt, mode);
        const first = makeEngine(crashing.asStore(), clock, 'first');
        await first
          .start()
          .then(() => first.startRun({ segmentId: 'frontdesk', input }))
          .then((run) => driveOnClock(first, clock, run.runId))
          .catch(() => undefined);
        await first.stop({ graceMs: 10 });
        const top = (await store.listRuns('default')).items.find((r) => !r.parent);
        if (!top) continue;
        clock.advance(60_000);
        const second = makeEngine(store, clock, 'second');
        await second.start();
        const done = await driveOnClock(second, clock, top.runId);
        await second.stop();
        expect([done.status, done.error?.message], label).toEqual(['completed', undefined]);
        expect(done.outputs, label).toEqual(answer);
        const kids = (await store.listRuns('default')).items.filter((r) => r.parent?.runId === top.runId);
        expect(kids.length, label).toBe(1);
        const events = await store.listEvents('default', top.runId);
        expect(events.filter((e) => e.type === 'agent.handoff').length, label).toBe(1);
        expect(
          (await store.listAudit('default')).filter((a) => a.action === 'agent.handoff').length,
          label,
        ).toBe(1);
        expect(
          llm.requests.filter((r) => systemOf(r).startsWith('You are the front desk')).length,
          label,
        ).toBeLessThanOrEqual(2);
      }
    }
  }, 300_000);
});
