import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createEngine, type Engine, MemoryStore, type SegmentDefinition } from '@llmteam/core';
import openai from '@llmteam/llm-openai';
import { type LlmTestServer, startOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { orderPipelineModel } from './order-pipeline-model.js';
import orderTools from './order-tools.js';

const segment = JSON.parse(
  readFileSync(new URL('./segments/order-pipeline.json', import.meta.url), 'utf8'),
) as SegmentDefinition;
const finance = { subject: 'fiona', groups: ['finance'], roles: ['approver' as const] };
const open = ['pending', 'notified', 'in_progress', 'escalated'] as const;
const orderIdFor = (key: string) => `ord-${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;

const engines: Engine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop({ graceMs: 50 });
});

async function boot(providerOptions: Record<string, unknown>): Promise<Engine> {
  const engine = createEngine({
    store: new MemoryStore(),
    plugins: [{ plugin: openai, options: { name: 'openai', ...providerOptions } }, orderTools],
  });
  engines.push(engine);
  await engine.start();
  return engine;
}

describe('order pipeline against the model test server', () => {
  let llm: LlmTestServer;
  beforeAll(async () => {
    llm = await startOpenAiTestServer({ fallback: orderPipelineModel });
  });
  afterAll(() => llm.close());
  beforeEach(() => llm.reset());
  const agentOf = (i: number) =>
    String((llm.requests[i]!.body.messages as Array<{ content: string }>)[0]!.content);

  test('an order above 1000 waits for finance; approved, create_order runs once and the order is created', async () => {
    const engine = await boot({ baseUrl: llm.url, model: 'gpt-test' });
    const run = await engine.startRun({
      segment,
      input: { customer: 'acme', items: [{ sku: 'widget', qty: 40 }] },
    });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_human');
    const [request] = await engine.listInteractions({ runId: run.runId, status: [...open] });
    expect(request?.assignees.groups).toEqual(['finance']);
    expect(request?.settings.context).toMatchObject({
      kind: 'tool_approval',
      step_id: 'execute',
      tool: 'create_order',
      arguments: { customer: 'acme', total: 1200, currency: 'EUR' },
      reason: 'Placing the order of acme for 1200 EUR.',
    });
    await expect(
      engine.respond(request!.interactionId, {
        action: 'approve',
        actor: { subject: 'sam', groups: ['sales'] },
      }),
    ).rejects.toMatchObject({ code: 'LLMT_E_NOT_ASSIGNEE' });
    await engine.respond(request!.interactionId, { action: 'approve', comment: 'ok', actor: finance });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({
      execute: { status: 'created', order_id: orderIdFor(`${run.runId}:execute:1:order_1`) },
    });
    // validator, pricer (tool call, answer), executor (tool call, answer): one call each, none repeated.
    expect(llm.requests.map((_, i) => agentOf(i).split(' ')[1])).toEqual([
      'validate',
      'price',
      'price',
      'place',
      'place',
    ]);
    const events = await engine.store.listEvents('default', run.runId);
    const tools = events.filter((e) => e.type === 'tool.call.completed').map((e) => e.data?.tool);
    expect(tools).toEqual(['check_inventory', 'create_order']);
  });

  test('an order of 1000 or less is created with no approval; the pricer uses check_inventory per item', async () => {
    const engine = await boot({ baseUrl: llm.url, model: 'gpt-test' });
    const run = await engine.startRun({
      segment,
      input: {
        customer: 'acme',
        items: [
          { sku: 'gadget', qty: 4 },
          { sku: 'gizmo', qty: 2 },
        ],
      },
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('completed');
    expect(await engine.listInteractions({ runId: run.runId })).toEqual([]);
    expect(done.outputs).toEqual({
      execute: { status: 'created', order_id: orderIdFor(`${run.runId}:execute:1:order_1`) },
    });
    const execute = llm.requests.at(-1)!.body.messages as Array<{ role: string; content: string }>;
    expect(JSON.parse(execute[1]!.content.slice(execute[1]!.content.indexOf('{')))).toEqual({
      customer: 'acme',
      items: [
        { sku: 'gadget', qty: 4, unit_price: 12.5, in_stock: true },
        { sku: 'gizmo', qty: 2, unit_price: 99, in_stock: true },
      ],
      total: 248,
      currency: 'EUR',
    });
  });

  test('an invalid order stops at the validator with its problems; no pricing, no order', async () => {
    const engine = await boot({ baseUrl: llm.url, model: 'gpt-test' });
    const run = await engine.startRun({
      segment,
      input: { customer: 'acme', items: [{ sku: 'widget', qty: 0 }] },
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({
      reject_invalid: { status: 'invalid', problems: ['item 1 (widget): qty must be at least 1'] },
    });
    expect(llm.calls).toBe(1);
  });

  test("finance's refusal reaches the executor, which reports it; create_order never runs", async () => {
    const engine = await boot({ baseUrl: llm.url, model: 'gpt-test' });
    const run = await engine.startRun({
      segment,
      input: {
        customer: 'acme',
        items: [
          { sku: 'gizmo', qty: 5 },
          { sku: 'widget', qty: 20 },
        ],
      },
    });
    await engine.waitForRun(run.runId);
    const [request] = await engine.listInteractions({ runId: run.runId, status: [...open] });
    expect(request?.settings.context).toMatchObject({ arguments: { total: 1095 } });
    await engine.respond(request!.interactionId, {
      action: 'reject',
      comment: 'no budget this quarter',
      actor: finance,
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({
      execute: {
        status: 'rejected',
        reason: 'The call to create_order was refused by fiona: no budget this quarter. It did not run.',
      },
    });
    const events = await engine.store.listEvents('default', run.runId);
    expect(events.filter((e) => e.type === 'tool.call.completed').map((e) => e.data?.tool)).toEqual([
      'check_inventory',
      'check_inventory',
    ]);
  });
});

const real = process.env.OPENAI_BASE_URL;
describe.skipIf(!real)(
  real
    ? `order pipeline against ${real}`
    : 'order pipeline against a real endpoint: skipped, set OPENAI_BASE_URL (and OPENAI_API_KEY) to run it',
  () => {
    test('a large order waits for finance, then is created', async () => {
      const engine = await boot({
        baseUrl: real,
        model: process.env.OPENAI_MODEL || 'gpt-4o-mini',
        ...(process.env.OPENAI_API_KEY ? { apiKeySecret: 'openai_api_key' } : {}),
      });
      const run = await engine.startRun({
        segment,
        input: { customer: 'acme', items: [{ sku: 'widget', qty: 40 }] },
      });
      expect(
        (await engine.waitForRun(run.runId, { until: ['waiting_human', 'completed', 'failed'] })).status,
      ).toBe('waiting_human');
      const [request] = await engine.listInteractions({ runId: run.runId, status: [...open] });
      expect(request?.settings.context).toMatchObject({ tool: 'create_order', arguments: { total: 1200 } });
      await engine.respond(request!.interactionId, { action: 'approve', actor: finance });
      const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
      expect(done.outputs).toMatchObject({
        execute: { status: 'created', order_id: expect.stringMatching(/^ord-/) },
      });
    }, 180_000);
  },
);
