import {
  createEngine,
  type Engine,
  MemoryStore,
  type SegmentDefinition,
  type WorktrailEvent,
} from '@llmteam/core';
import { useOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import plugin from './index.js';

const llm = useOpenAiTestServer({ beforeAll, afterAll, beforeEach });

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 50 });
});

const ANSWER = 'The order o-1 costs 25 EUR in all, shipping included, and it leaves on Monday.';

const segment = (extra: Record<string, unknown> = {}): SegmentDefinition => ({
  segment_id: 'writer',
  steps: [
    {
      step_id: 'write',
      step_type: 'llm_agent',
      config: { provider: 'local', model: 'gpt-test', prompt: '"Summarise " & id' },
      ...extra,
    },
  ],
  edges: [],
});

async function boot(): Promise<Engine> {
  const engine = createEngine({
    store: new MemoryStore(),
    plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
  });
  engines.push(engine);
  await engine.start();
  return engine;
}

/** Collects a run's events (stored and live) until it completes. */
async function collect(iterator: AsyncIterableIterator<WorktrailEvent>): Promise<WorktrailEvent[]> {
  const seen: WorktrailEvent[] = [];
  for await (const e of iterator) {
    seen.push(e);
    if (e.type === 'run.completed' || e.type === 'run.failed') break;
  }
  return seen;
}

/** The text the progress events spell, checking that each continues where the last ended. */
function spell(events: WorktrailEvent[]): string {
  let text = '';
  for (const e of events) {
    const d = e.data as { offset: number; text: string; reset?: boolean };
    if (d.reset) {
      text = '';
      continue;
    }
    expect(d.offset).toBe(text.length);
    text += d.text;
  }
  return text;
}

describe('llm_agent streaming', () => {
  test('partial text reaches subscribers in order, coalesced, before the committed answer; only the answer is stored', async () => {
    const engine = await boot();
    llm.script({ text: ANSWER, chunkSize: 3, delayMs: 2 });
    const run = await engine.startRun({ segment: segment(), input: { id: 'o-1' } });
    const seen = await collect(engine.events(run.runId, { progress: true }));
    const progress = seen.filter((e) => e.type === 'step.progress');
    const chunks = Math.ceil(ANSWER.length / 3);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length).toBeLessThan(chunks);
    expect(progress.every((e) => e.seq === 0 && e.step_id === 'write' && e.data.turn === 1)).toBe(true);
    expect(spell(progress)).toBe(ANSWER);
    const committed = seen.findIndex((e) => e.type === 'model.call.completed');
    expect(seen.findLastIndex((e) => e.type === 'step.progress')).toBeLessThan(committed);
    expect(llm.requests[0]?.stream).toBe(true);

    const stored = await engine.store.listEvents('default', run.runId);
    expect(stored.some((e) => e.type === 'step.progress')).toBe(false);
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1));
    const [step] = await engine.store.getSteps('default', run.runId);
    expect(step?.outputs).toEqual({ output: ANSWER });
    // No stored event carries the streamed text.
    expect(JSON.stringify(stored)).not.toContain(ANSWER.slice(0, 20));
    expect(engine.progress.size).toBe(0);
  });

  test('a subscriber that joins mid-stream first gets the partial text so far, then the rest', async () => {
    const engine = await boot();
    llm.script({ text: ANSWER, chunkSize: 2, delayMs: 8 });
    const first = new Promise<void>((resolve) => {
      const off = engine.onEvent(
        () => {
          off();
          resolve();
        },
        { types: ['step.progress'] },
      );
    });
    const run = await engine.startRun({ segment: segment(), input: { id: 'o-1' } });
    await first;
    const seen = await collect(engine.events(run.runId, { progress: true }));
    const progress = seen.filter((e) => e.type === 'step.progress');
    expect(progress[0]?.data).toMatchObject({ offset: 0, snapshot: true, turn: 1 });
    const partial = String(progress[0]?.data.text ?? '');
    expect(partial.length).toBeGreaterThan(0);
    expect(ANSWER.startsWith(partial)).toBe(true);
    expect(spell(progress)).toBe(ANSWER);
  });

  test('a retried model call first sends reset, so clients drop the stale partial', async () => {
    const engine = await boot();
    llm.script(
      { text: 'A stale beginning that never ends', chunkSize: 4, cutAfterChunks: 4 },
      { text: ANSWER },
    );
    const run = await engine.startRun({
      segment: segment({ retry: { max_attempts: 2, backoff: 0.01, jitter: 0 } }),
      input: { id: 'o-1' },
    });
    const seen = await collect(engine.events(run.runId, { progress: true }));
    expect(seen.at(-1)?.type).toBe('run.completed');
    const progress = seen.filter((e) => e.type === 'step.progress');
    const reset = progress.findIndex((e) => e.data.reset === true);
    expect(reset).toBeGreaterThan(0);
    expect(spell(progress.slice(0, reset))).toBe('A stale beginning that never ends'.slice(0, 12));
    expect(spell(progress.slice(reset))).toBe(ANSWER);
    expect(seen.findIndex((e) => e.type === 'step.retrying')).toBeLessThan(seen.indexOf(progress[reset]));
  });

  test('stream: false asks for a whole answer and sends no progress', async () => {
    const engine = await boot();
    llm.script({ text: ANSWER });
    const run = await engine.startRun({
      segment: {
        ...segment(),
        steps: [{ ...segment().steps[0]!, config: { ...segment().steps[0]!.config, stream: false } }],
      },
      input: { id: 'o-1' },
    });
    const seen = await collect(engine.events(run.runId, { progress: true }));
    expect(seen.some((e) => e.type === 'step.progress')).toBe(false);
    expect(llm.requests[0]?.stream).toBe(false);
  });
});
