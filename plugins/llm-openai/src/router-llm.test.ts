import { createEngine, MemoryStore, type SegmentDefinition } from '@llmteam/core';
import { useOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { CrashingStore } from '../../../packages/core/src/engine/test-helpers.js';
import plugin from './index.js';

const llm = useOpenAiTestServer({ beforeAll, afterAll, beforeEach });

const segment: SegmentDefinition = {
  segment_id: 'support_triage',
  steps: [
    {
      step_id: 'triage',
      step_type: 'router',
      config: {
        provider: 'local',
        model: 'gpt-test',
        system_prompt: 'You triage support tickets.',
        prompt: '"Ticket: " & text',
        routes: [
          { port: 'billing', description: 'invoices, refunds, payment problems' },
          { port: 'technical', description: 'bugs, outages, errors' },
        ],
        default: 'technical',
      },
      outputs: [{ port_id: 'billing' }, { port_id: 'technical' }],
    },
    { step_id: 'refund_desk', step_type: 'transform', config: { expression: '"billing: " & text' } },
    { step_id: 'engineers', step_type: 'transform', config: { expression: '"tech: " & text' } },
  ],
  edges: [
    { source_step: 'triage', source_port: 'billing', target_step: 'refund_desk' },
    { source_step: 'triage', source_port: 'technical', target_step: 'engineers' },
  ],
};

const engineOn = (store: MemoryStore | ReturnType<CrashingStore['asStore']>, workerId = 'w') =>
  createEngine({
    store,
    workerId,
    leaseMs: 30,
    pollIntervalMs: 5,
    plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
  });

describe('router over an OpenAI-compatible server', () => {
  test('sends the routes as a strict JSON Schema enum and follows the chosen route', async () => {
    llm.script({
      text: '{"route":"billing","reason":"asks for a refund"}',
      usage: { inputTokens: 40, outputTokens: 9 },
    });
    const engine = engineOn(new MemoryStore());
    const run = await engine.startRun({ segment, input: { text: 'please refund invoice 7' } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    await engine.stop();
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({ refund_desk: 'billing: please refund invoice 7' });
    const body = llm.requests[0]!.body as {
      response_format: {
        type: string;
        json_schema: { strict: boolean; schema: { properties: { route: { enum: string[] } } } };
      };
      messages: Array<{ role: string; content: string }>;
    };
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema.strict).toBe(true);
    expect(body.response_format.json_schema.schema.properties.route.enum).toEqual(['billing', 'technical']);
    expect(body.messages.at(-1)?.content).toBe('Ticket: please refund invoice 7');
    const events = await engine.store.listEvents('default', run.runId);
    expect(events.find((e) => e.type === 'router.decided')?.data).toMatchObject({
      route: 'billing',
      reason: 'asks for a refund',
      mode: 'llm',
    });
    expect(events.find((e) => e.type === 'model.call.completed')?.data).toMatchObject({
      usage: { input_tokens: 40, output_tokens: 9 },
    });
    expect(events.filter((e) => e.type === 'step.skipped').map((e) => e.step_id)).toEqual(['engineers']);
  });

  test('a crash after the committed decision does not call the model again', async () => {
    // Commits: run created and started, decision checkpoint, completion... crash right
    // after the decision checkpoint is stored.
    llm.script({ text: '{"route":"technical","reason":"an error message"}' });
    const memory = new MemoryStore();
    const crashing = new CrashingStore(memory, 2, 'after');
    const first = engineOn(crashing.asStore(), 'first');
    await first.startRun({ segment, input: { text: 'error 500' } }).catch(() => undefined);
    for (let i = 0; i < 100 && !crashing.dead; i++) await new Promise((r) => setTimeout(r, 5));
    expect(crashing.dead).toBe(true);
    await first.stop({ graceMs: 10 });
    const [stored] = (await memory.listRuns('default')).items;
    const steps = await memory.getSteps('default', stored!.runId);
    expect(steps.find((s) => s.stepId === 'triage')?.checkpoint).toMatchObject({
      decision: { route: 'technical' },
    });
    await new Promise((r) => setTimeout(r, 40));
    const second = engineOn(memory, 'second');
    await second.start();
    const done = await second.waitForRun(stored!.runId, { until: ['completed', 'failed'], timeoutMs: 5000 });
    await second.stop();
    expect(done.outputs).toEqual({ engineers: 'tech: error 500' });
    expect(llm.calls).toBe(1);
  });
});
