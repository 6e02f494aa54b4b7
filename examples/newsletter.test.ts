import { readFileSync } from 'node:fs';
import { createEngine, type Engine, MemoryStore, type SegmentDefinition } from '@llmteam/core';
import openai from '@llmteam/llm-openai';
import { type LlmTestRequest, type LlmTestServer, startOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const load = (file: string) =>
  JSON.parse(readFileSync(new URL(`./segments/${file}`, import.meta.url), 'utf8')) as SegmentDefinition;

type Message = { role: string; content: string | null; tool_call_id?: string };

/** The editor calls write_section once per topic, then lists the sections; each writer signs its own. */
function model(request: LlmTestRequest) {
  const messages = request.body.messages as Message[];
  const system = messages[0]?.content ?? '';
  const writer = /^You are writer (\w)/.exec(system)?.[1];
  if (writer) return { text: `${writer}: ${messages.at(-1)?.content?.replace('Topic: ', '')}` };
  const results = messages.filter((m) => m.role === 'tool');
  if (!results.length) {
    const topics = (messages.at(-1)?.content ?? '').replace('Topics: ', '').split('; ');
    return {
      toolCalls: topics.map((topic, i) => ({ id: `s${i + 1}`, name: 'write_section', arguments: { topic } })),
    };
  }
  const sections = results.map((m) => (JSON.parse(m.content ?? '{}') as { write: string }).write);
  return { text: JSON.stringify({ title: 'Tea news', sections }) };
}

describe('newsletter: an editor agent over a pool of two writer agents', () => {
  let llm: LlmTestServer;
  let engine: Engine;
  beforeAll(async () => {
    llm = await startOpenAiTestServer({ fallback: model });
    engine = createEngine({
      store: new MemoryStore(),
      plugins: [{ plugin: openai, options: { name: 'openai', baseUrl: llm.url, model: 'gpt-test' } }],
    });
    for (const file of ['newsletter-writer-a.json', 'newsletter-writer-b.json', 'newsletter.json'])
      await engine.upsertSegment(load(file));
  });
  afterAll(async () => {
    await engine.stop();
    await llm.close();
  });

  async function issue(topics: string[]) {
    const run = await engine.startRun({ segmentId: 'newsletter', input: { topics } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 20_000 });
    const events = await engine.store.listEvents('default', run.runId);
    const assigned = events.filter((e) => e.type === 'agent.assigned');
    return { done, assigned: assigned.map((e) => [e.data.position, e.data.call_id, e.data.segment_id]) };
  }

  test('sections go to the writers in turn, as child runs, and the turn goes on in the next issue', async () => {
    const first = await issue(['first flush', 'cold brew', 'oolong']);
    expect([first.done.status, first.done.error?.message]).toEqual(['completed', undefined]);
    expect(first.done.outputs).toEqual({
      edit: { title: 'Tea news', sections: ['A: first flush', 'B: cold brew', 'A: oolong'] },
    });
    expect(first.assigned).toEqual([
      [1, 's1', 'newsletter_writer_a'],
      [2, 's2', 'newsletter_writer_b'],
      [3, 's3', 'newsletter_writer_a'],
    ]);
    const kids = (await engine.store.listRuns('default')).items.filter(
      (r) => r.parent?.runId === first.done.runId,
    );
    expect(kids.map((k) => k.segmentId).sort()).toEqual([
      'newsletter_writer_a',
      'newsletter_writer_a',
      'newsletter_writer_b',
    ]);

    // The pool's standing is durable: the next issue starts with the writer whose turn it is.
    const second = await issue(['matcha']);
    expect(second.done.outputs).toEqual({ edit: { title: 'Tea news', sections: ['B: matcha'] } });
    expect(second.assigned).toEqual([[4, 's1', 'newsletter_writer_b']]);
  });
});
