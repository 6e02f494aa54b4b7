import { readFileSync } from 'node:fs';
import { createEngine, type Engine, MemoryStore, type SegmentDefinition } from '@llmteam/core';
import openai from '@llmteam/llm-openai';
import { type LlmTestRequest, type LlmTestServer, startOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const load = (file: string) =>
  JSON.parse(readFileSync(new URL(`./segments/${file}`, import.meta.url), 'utf8')) as SegmentDefinition;

type Message = { role: string; content: string | null; tool_call_id?: string };

/** A scripted model for the three agents, told apart by their system prompts. */
function model(request: LlmTestRequest) {
  const messages = request.body.messages as Message[];
  const system = messages[0]?.content ?? '';
  if (system.startsWith('You research'))
    return {
      text: '{"facts":["Loose-leaf tea sales grow 6% a year","Buyers want traceable farms","Most buy online"]}',
    };
  if (system.startsWith('You write taglines'))
    return { text: '{"tagline":"Every leaf, from a farm you know"}' };
  const results = messages.filter((m) => m.role === 'tool');
  if (!results.length)
    return {
      toolCalls: [
        {
          id: 'research_1',
          name: 'research',
          arguments: { product: 'single-estate tea', audience: 'home brewers' },
        },
        { id: 'copy_1', name: 'copy', arguments: { product: 'single-estate tea', audience: 'home brewers' } },
      ],
    };
  const of = (id: string) => JSON.parse(results.find((m) => m.tool_call_id === id)?.content ?? '{}');
  return {
    text: JSON.stringify({
      product: 'single-estate tea',
      facts: of('research_1').research.facts,
      tagline: of('copy_1').copy.tagline,
    }),
  };
}

describe('product brief: a supervisor agent over two child segments', () => {
  let llm: LlmTestServer;
  let engine: Engine;
  beforeAll(async () => {
    llm = await startOpenAiTestServer({ fallback: model });
    engine = createEngine({
      store: new MemoryStore(),
      plugins: [{ plugin: openai, options: { name: 'openai', baseUrl: llm.url, model: 'gpt-test' } }],
    });
    for (const file of ['brief-research.json', 'brief-copy.json', 'product-brief.json'])
      await engine.upsertSegment(load(file));
  });
  afterAll(async () => {
    await engine.stop();
    await llm.close();
  });

  test('delegates to both sub-agents as child runs and writes the brief from their results', async () => {
    const run = await engine.startRun({
      segmentId: 'product_brief',
      input: { product: 'single-estate tea', audience: 'home brewers' },
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 20_000 });
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({
      lead: {
        product: 'single-estate tea',
        facts: ['Loose-leaf tea sales grow 6% a year', 'Buyers want traceable farms', 'Most buy online'],
        tagline: 'Every leaf, from a farm you know',
      },
    });
    const children = (await engine.store.listRuns('default')).items.filter(
      (r) => r.parent?.runId === run.runId,
    );
    expect(children.map((c) => c.segmentId).sort()).toEqual(['brief_copy', 'brief_research']);
    // Two supervisor turns and one per sub-agent: no model call made twice.
    expect(llm.requests).toHaveLength(4);
  });
});
