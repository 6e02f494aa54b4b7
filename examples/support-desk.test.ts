import { readFileSync } from 'node:fs';
import { createEngine, type Engine, MemoryStore, type SegmentDefinition } from '@llmteam/core';
import openai from '@llmteam/llm-openai';
import { type LlmTestRequest, type LlmTestServer, startOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const load = (file: string) =>
  JSON.parse(readFileSync(new URL(`./segments/${file}`, import.meta.url), 'utf8')) as SegmentDefinition;

type Message = { role: string; content: string | null };

/** The front desk hands questions about charges off; the billing agent answers what it was handed. */
function model(request: LlmTestRequest) {
  const messages = request.body.messages as Message[];
  const system = messages[0]?.content ?? '';
  const last = messages.at(-1)?.content ?? '';
  if (system.startsWith('You handle billing'))
    return { text: `Billing here. ${last}: a refund is on its way.` };
  if (/charge/i.test(last))
    return { toolCalls: [{ id: 'h1', name: 'transfer_to_billing', arguments: { reason: 'charged twice' } }] };
  return { text: 'Brew it at 85 °C for three minutes.' };
}

describe('support desk: a front-desk agent hands billing questions off to the billing agent', () => {
  let llm: LlmTestServer;
  let engine: Engine;
  beforeAll(async () => {
    llm = await startOpenAiTestServer({ fallback: model });
    engine = createEngine({
      store: new MemoryStore(),
      plugins: [{ plugin: openai, options: { name: 'openai', baseUrl: llm.url, model: 'gpt-test' } }],
    });
    for (const file of ['support-billing.json', 'support-desk.json']) await engine.upsertSegment(load(file));
  });
  afterAll(async () => {
    await engine.stop();
    await llm.close();
  });

  test('a billing question ends with the billing agent’s answer, carried keys only, the handoff recorded', async () => {
    const input = {
      customer: 'acme',
      order_id: 'ord-17',
      question: 'Why was my card charged twice? It ends 4242.',
    };
    const run = await engine.startRun({ segmentId: 'support_desk', input });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 20_000 });
    expect([done.status, done.error?.message]).toEqual(['completed', undefined]);
    const answer =
      'Billing here. Customer acme, order ord-17: charged twice (handed over by triage for the billing queue): a refund is on its way.';
    expect(done.outputs).toEqual({ triage: { billing: answer } });

    const child = (await engine.store.listRuns('default')).items.find((r) => r.parent?.runId === run.runId)!;
    expect(child.segmentId).toBe('support_billing');
    const billingCall = llm.requests.find((r) => JSON.stringify(r.body).includes('You handle billing'))!;
    // The question (with the card digits) stayed with the front desk.
    expect(JSON.stringify(billingCall.body)).not.toContain('4242');

    const events = await engine.store.listEvents('default', run.runId);
    expect(events.filter((e) => e.type === 'agent.handoff').map((e) => e.data)).toEqual([
      expect.objectContaining({
        tool: 'transfer_to_billing',
        segment_id: 'support_billing',
        child_run_id: child.runId,
        keys: ['customer', 'order_id'],
        metadata: { queue: 'billing', reason: 'charged twice' },
      }),
    ]);
    const audit = await engine.store.listAudit('default');
    expect(audit.filter((a) => a.action === 'agent.handoff' && a.runId === run.runId)).toHaveLength(1);
  });

  test('a question the front desk can answer is answered there, with no handoff', async () => {
    const run = await engine.startRun({
      segmentId: 'support_desk',
      input: { customer: 'acme', question: 'How do I brew a green tea?' },
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'], timeoutMs: 20_000 });
    expect(done.outputs).toEqual({ triage: 'Brew it at 85 °C for three minutes.' });
    const events = await engine.store.listEvents('default', run.runId);
    expect(events.some((e) => e.type === 'agent.handoff')).toBe(false);
  });
});
