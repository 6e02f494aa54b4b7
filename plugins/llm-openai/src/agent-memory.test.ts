import {
  createEngine,
  type EngineOptions,
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
let findings = 'Assam is malty; Darjeeling is floral.';
beforeEach(() => {
  llm.reset();
  findings = 'Assam is malty; Darjeeling is floral.';
});

type Message = { role: string; content?: string | null };
const messagesOf = (request: LlmTestRequest) => request.body.messages as Message[];
const systemOf = (request: LlmTestRequest) => messagesOf(request)[0]?.content ?? '';

/** A researcher that answers with findings and private notes; a writer that quotes what it remembers. */
function reply(request: LlmTestRequest) {
  const system = systemOf(request);
  if (system.startsWith('You research'))
    return { text: JSON.stringify({ findings, notes: 'internal: supplier margin 40%' }) };
  if (system.startsWith('You write')) {
    const memory = messagesOf(request).find((m) => m.content?.startsWith('Memory'))?.content ?? 'none';
    return { text: `Draft from ${memory.split('\n')[1] ?? 'nothing'}` };
  }
  return { status: 400, message: 'unknown agent' };
}

const desk: SegmentDefinition = {
  segment_id: 'tea_copy',
  steps: [
    {
      step_id: 'research',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-test',
        system_prompt: 'You research teas.',
        prompt: 'topic',
        output_schema: { type: 'object', required: ['findings'] },
        memory: {
          namespace: 'researcher',
          write: ['findings', 'notes', { key: 'topic', value: 'input.topic', ttl: 'PT1H' }],
        },
      },
    },
    {
      step_id: 'write',
      step_type: 'llm_agent',
      config: {
        provider: 'local',
        model: 'gpt-test',
        system_prompt: 'You write tea copy.',
        prompt: '"Write about " & $memory.topic',
        // Threading: the writer reads the researcher's findings and topic, not its notes.
        memory: {
          read: [
            { key: 'findings', from: 'researcher' },
            { key: 'topic', from: 'researcher' },
          ],
        },
      },
    },
  ],
  edges: [{ source_step: 'research', source_port: 'output', target_step: 'write', target_port: 'input' }],
};

function makeEngine(store: Store, clock: ManualClock, workerId: string, extra: Partial<EngineOptions> = {}) {
  return createEngine({
    store,
    clock,
    workerId,
    plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
    ...extra,
  });
}

/** Counts the store's memory writes by key. */
function countPuts(store: MemoryStore): Map<string, number> {
  const puts = new Map<string, number>();
  const put = store.memory.putMemory.bind(store.memory);
  store.memory.putMemory = async (entry) => {
    puts.set(entry.key, (puts.get(entry.key) ?? 0) + 1);
    return put(entry);
  };
  return puts;
}

const draft = `Draft from {"findings":"Assam is malty; Darjeeling is floral.","topic":"assam"}`;

describe('llm_agent memory', () => {
  test('writes keys of the answer to its memory, and a later agent reads them into its context', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(Date.parse('2026-06-01T00:00:00Z'));
    const engine = makeEngine(store, clock, 'w');
    await engine.upsertSegment(desk);
    await engine.start();
    const run = await engine.startRun({ segmentId: 'tea_copy', input: { topic: 'assam' } });
    const done = await driveOnClock(engine, clock, run.runId);
    expect([done.status, done.error?.message]).toEqual(['completed', undefined]);
    expect(done.outputs).toEqual({ write: draft });

    const researcher = engine.memory.agent('default', 'researcher');
    expect(await researcher.keys()).toEqual(['findings', 'notes', 'topic']);
    expect(await researcher.get('topic')).toBe('assam');
    // The writer's prompt was built from memory ($memory), and its context holds only the keys wired to it.
    const writer = llm.requests.find((r) => systemOf(r).startsWith('You write'))!;
    expect(messagesOf(writer).at(-1)?.content).toBe('Write about assam');
    expect(JSON.stringify(writer.body.messages)).not.toContain('supplier margin');
    // The writer wrote nothing, and its own namespace is empty.
    expect(await engine.memory.agent('default', 'write').keys()).toEqual([]);

    const events = await store.listEvents('default', run.runId);
    const written = events.filter((e) => e.type === 'memory.written');
    expect(written.map((e) => [e.step_id, e.data])).toEqual([
      ['research', { namespace: 'researcher', keys: ['findings', 'notes', 'topic'], kept: [] }],
    ]);
    // The event is part of the step's completing commit.
    const completed = events.find((e) => e.type === 'step.completed' && e.step_id === 'research')!;
    expect(written[0]!.seq).toBe(completed.seq - 1);

    // The `ttl` of an entry applies: an hour later the topic is gone, the findings (24 h default) stay.
    clock.advance(3600_000);
    expect(await researcher.get('topic')).toBeUndefined();
    expect(await researcher.get('findings')).toBe(findings);
    await engine.stop();
  });

  test('another tenant never reads the memory of the same agent name', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const engine = makeEngine(store, clock, 'w');
    await engine.memory.agent('other', 'researcher').set('findings', 'the other tenant');
    await engine.upsertSegment(desk);
    await engine.start();
    findings = 'ours';
    const run = await engine.startRun({ segmentId: 'tea_copy', input: { topic: 'assam' } });
    expect((await driveOnClock(engine, clock, run.runId)).outputs).toEqual({
      write: 'Draft from {"findings":"ours","topic":"assam"}',
    });
    expect(await engine.memory.agent('other', 'researcher').get('findings')).toBe('the other tenant');
    await engine.stop();
  });

  test('a value over the memory limit fails the step with a typed error naming the step and field', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const engine = makeEngine(store, clock, 'w', { memory: { maxBytes: 30 } });
    await engine.upsertSegment(desk);
    await engine.start();
    const run = await engine.startRun({ segmentId: 'tea_copy', input: { topic: 'assam' } });
    const done = await driveOnClock(engine, clock, run.runId);
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('LLMT_E_MEMORY_ENTRY_TOO_LARGE');
    expect(done.error?.message).toMatch(
      /^step "research" failed: llm_agent step "research", config\.memory\.write\[0\]: memory of agent "researcher", key "findings": the value is 39 bytes, over the agent's maxBytes of 30/,
    );
    expect(await engine.memory.agent('default', 'researcher').keys()).toEqual([]);
    await engine.stop();
  });

  test('upsert refuses a plain key without output_schema and a key written twice, at the field', async () => {
    const engine = makeEngine(new MemoryStore(), new ManualClock(), 'w');
    const bad = structuredClone(desk);
    bad.steps[1]!.config = {
      ...bad.steps[1]!.config,
      memory: { write: ['draft', { key: 'draft', value: 'output' }], read: ['x', 'x'] },
    };
    const error = await engine.upsertSegment(bad).catch((e: unknown) => e);
    expect(isLlmteamError(error)).toBe(true);
    const problems = (error as { details: { problems: Array<{ path: string; message: string }> } }).details
      .problems;
    expect(problems.map((p) => p.path)).toEqual([
      '$.steps[1].config.memory.read[1]',
      '$.steps[1].config.memory.write[0]',
      '$.steps[1].config.memory.write[1]',
    ]);
    expect(problems[1]!.message).toContain('needs output_schema');
    await engine.stop();
  });
});

describe('llm_agent memory, crashed at every commit', () => {
  test('writes each key once, whichever commit the crash hits, and the run ends as an uninterrupted one', async () => {
    const probeStore = new MemoryStore();
    const probe = new CrashingStore(probeStore, Number.POSITIVE_INFINITY, 'before');
    const probeClock = new ManualClock();
    const probeEngine = makeEngine(probe.asStore(), probeClock, 'probe');
    await probeEngine.upsertSegment(desk);
    await probeEngine.start();
    const probeRun = await probeEngine.startRun({ segmentId: 'tea_copy', input: { topic: 'assam' } });
    expect((await driveOnClock(probeEngine, probeClock, probeRun.runId)).outputs).toEqual({ write: draft });
    await probeEngine.stop();
    const total = probe.commits;
    expect(total).toBeGreaterThan(3);

    for (const mode of ['before', 'after'] as const) {
      for (let crashAt = 1; crashAt <= total; crashAt++) {
        const label = `${mode} commit ${crashAt}`;
        const store = new MemoryStore();
        const clock = new ManualClock();
        const setup = makeEngine(store, clock, 'setup');
        await setup.upsertSegment(desk);
        await setup.stop();
        const puts = countPuts(store);
        const crashing = new CrashingStore(store, crashAt, mode);
        const first = makeEngine(crashing.asStore(), clock, 'first');
        await first
          .start()
          .then(() => first.startRun({ segmentId: 'tea_copy', input: { topic: 'assam' } }))
          .then((run) => driveOnClock(first, clock, run.runId))
          .catch(() => undefined);
        await first.stop({ graceMs: 10 });
        const top = (await store.listRuns('default')).items[0];
        if (!top) continue;
        clock.advance(60_000);
        const second = makeEngine(store, clock, 'second');
        await second.start();
        const done = await driveOnClock(second, clock, top.runId);
        await second.stop();
        expect([done.status, done.error?.message], label).toEqual(['completed', undefined]);
        expect(done.outputs, label).toEqual({ write: draft });
        expect(Object.fromEntries(puts), label).toEqual({ findings: 1, notes: 1, topic: 1 });
        const written = (await store.listEvents('default', top.runId)).filter(
          (e) => e.type === 'memory.written',
        );
        expect(written.length, label).toBe(1);
        const data = written[0]!.data as { keys: string[]; kept: string[] };
        expect([...data.keys, ...data.kept].sort(), label).toEqual(['findings', 'notes', 'topic']);
      }
    }
  }, 120_000);
});
