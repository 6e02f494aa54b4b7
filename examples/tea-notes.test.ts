import { readFileSync } from 'node:fs';
import { createEngine, MemoryStore, type SegmentDefinition } from '@llmteam/core';
import openai from '@llmteam/llm-openai';
import { type LlmTestRequest, startOpenAiTestServer } from '@llmteam/testkit';
import { expect, test } from 'vitest';

const segment = JSON.parse(
  readFileSync(new URL('./segments/tea-notes.json', import.meta.url), 'utf8'),
) as SegmentDefinition;

type Message = { role: string; content: string | null };

/** The taster answers with notes and a score; the copywriter quotes the memory it was given. */
function model(request: LlmTestRequest) {
  const messages = request.body.messages as Message[];
  if (messages[0]?.content?.startsWith('You taste'))
    return { text: '{"notes":["malty","honeyed","brisk"],"score":8}' };
  const memory = messages.find((m) => m.content?.startsWith('Memory'))?.content?.split('\n')[1] ?? '{}';
  const { notes, tea } = JSON.parse(memory) as { notes: string[]; tea: string };
  return { text: `${tea}: ${notes.join(', ')}.` };
}

test('tea notes: the copywriter reads the taster notes from memory, never its score', async () => {
  const llm = await startOpenAiTestServer({ fallback: model });
  const engine = createEngine({
    store: new MemoryStore(),
    plugins: [{ plugin: openai, options: { name: 'openai', baseUrl: llm.url, model: 'gpt-test' } }],
  });
  try {
    await engine.upsertSegment(segment);
    const run = await engine.startRun({ segmentId: 'tea_notes', input: { tea: 'Assam' } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 20_000 });
    expect([done.status, done.error?.message]).toEqual(['completed', undefined]);
    expect(done.outputs).toEqual({ blurb: 'Assam: malty, honeyed, brisk.' });
    const copywriter = llm.requests.find((r) => JSON.stringify(r.body).includes('product blurbs'))!;
    expect(JSON.stringify(copywriter.body.messages)).not.toContain('score');
    expect(await engine.memory.agent('default', 'taster').get('score')).toBe(8);
  } finally {
    await engine.stop();
    await llm.close();
  }
});
