import {
  createEngine,
  type Engine,
  type InteractionRecord,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
} from '@llmteam/core';
import { type LlmTestRequest, useOpenAiTestServer } from '@llmteam/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import plugin from './index.js';

type Message = { role: string; content?: string | null; tool_call_id?: string };

const llm = useOpenAiTestServer({ beforeAll, afterAll, beforeEach });

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 50 });
});

const finance = { subject: 'fiona', groups: ['finance'], roles: ['approver' as const] };
const tools = (messages: Message[]) => messages.filter((m) => m.role === 'tool');
const lastTool = (request: LlmTestRequest) => tools(request.body.messages as Message[]).at(-1);

function agentSegment(tool: Record<string, unknown>, extra: Record<string, unknown> = {}): SegmentDefinition {
  return {
    segment_id: 'orders',
    steps: [
      {
        step_id: 'execute',
        step_type: 'llm_agent',
        config: {
          provider: 'local',
          model: 'gpt-test',
          prompt: '"Create order " & id',
          tools: [
            {
              action: 'create_order',
              parameters: {
                type: 'object',
                required: ['amount'],
                properties: { amount: { type: 'number' }, sku: { type: 'string' } },
              },
              assignee_ref: 'group:finance',
              ...tool,
            },
            { action: 'check_inventory' },
          ],
          ...extra,
        },
      },
    ],
    edges: [],
  };
}

async function boot(clock = new ManualClock()) {
  const executed: Array<{ key: string; input: unknown }> = [];
  const engine = createEngine({
    store: new MemoryStore(),
    clock,
    plugins: [{ plugin, options: { name: 'local', baseUrl: llm.url } }],
  });
  engine.actions.defineFunction('create_order', async (input, ctx) => {
    executed.push({ key: ctx.idempotencyKey, input });
    return { order_id: 'o-9', ...(input as object) };
  });
  engine.actions.defineFunction('check_inventory', async (input, ctx) => {
    executed.push({ key: ctx.idempotencyKey, input });
    return { available: true };
  });
  engines.push(engine);
  await engine.start();
  return { engine, executed, clock };
}

const poll = (engine: Engine) => (engine as unknown as { poll(): Promise<void> }).poll();

async function openRequests(engine: Engine, runId: string): Promise<InteractionRecord[]> {
  return engine.listInteractions({ runId, status: ['pending', 'notified', 'in_progress', 'escalated'] });
}

describe('tool approvals', () => {
  test('a rejected call never runs; the model gets the refusal and the reason, and a repeat needs a new approval', async () => {
    const { engine, executed } = await boot();
    llm.script(
      {
        text: 'The order is over the limit, so I create it only with approval.',
        toolCalls: [{ id: 'c1', name: 'create_order', arguments: { amount: 1500, sku: 'A1' } }],
      },
      { toolCalls: [{ id: 'c2', name: 'create_order', arguments: { amount: 1500, sku: 'A1' } }] },
      { text: 'Refused twice; no order.' },
    );
    const run = await engine.startRun({
      segment: agentSegment({ requires_approval: 'amount > 1000' }),
      input: { id: 7 },
    });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_human');
    const [request] = await openRequests(engine, run.runId);
    expect(request?.type).toBe('review');
    expect(request?.title).toBe('Approve create_order');
    expect(request?.assignees.groups).toEqual(['finance']);
    expect(request?.settings.context).toEqual({
      kind: 'tool_approval',
      tool: 'create_order',
      arguments: { amount: 1500, sku: 'A1' },
      reason: 'The order is over the limit, so I create it only with approval.',
      step_id: 'execute',
      turn: 1,
      call_id: 'c1',
    });
    await expect(
      engine.respond(request!.interactionId, {
        action: 'approve',
        actor: { subject: 'mallory', groups: [] },
      }),
    ).rejects.toMatchObject({ code: 'LLMT_E_NOT_ASSIGNEE' });

    await engine.respond(request!.interactionId, {
      action: 'reject',
      comment: 'too expensive',
      actor: finance,
    });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_human');
    expect(lastTool(llm.requests[1]!)).toMatchObject({
      tool_call_id: 'c1',
      content: expect.stringContaining('refused by fiona: too expensive'),
    });
    // The same call again: a new request, and still nothing ran.
    const [second] = await openRequests(engine, run.runId);
    expect(second?.interactionId).not.toBe(request?.interactionId);
    expect(second?.settings.context).toMatchObject({ call_id: 'c2', turn: 2 });
    expect(executed).toEqual([]);
    await engine.respond(second!.interactionId, { action: 'reject', actor: finance });
    const done = await engine.waitForRun(run.runId);
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual({ execute: 'Refused twice; no order.' });
    expect(executed).toEqual([]);
    const types = (await engine.store.listEvents('default', run.runId)).map((e) => e.type);
    expect(types.filter((t) => t === 'tool.call.refused')).toHaveLength(2);
    expect(types.filter((t) => t === 'tool.approval.decided')).toHaveLength(2);
  });

  test('approve with edits runs the call once with the edited arguments; edits that do not fit are refused', async () => {
    const { engine, executed } = await boot();
    llm.script(
      { toolCalls: [{ id: 'c1', name: 'create_order', arguments: { amount: 1500, sku: 'A1' } }] },
      { text: 'Created at 900.' },
    );
    const run = await engine.startRun({
      segment: agentSegment({ requires_approval: true }),
      input: { id: 1 },
    });
    await engine.waitForRun(run.runId);
    const [request] = await openRequests(engine, run.runId);
    await expect(
      engine.respond(request!.interactionId, {
        action: 'approve',
        value: { amount: 'lots' },
        actor: finance,
      }),
    ).rejects.toMatchObject({ code: 'LLMT_E_RESPONSE_INVALID' });
    expect((await engine.store.getInteraction('default', request!.interactionId))?.status).toBe('pending');

    await engine.respond(request!.interactionId, {
      action: 'approve',
      value: { amount: 900, sku: 'A1' },
      actor: finance,
    });
    const done = await engine.waitForRun(run.runId);
    expect(done.status).toBe('completed');
    expect(executed).toEqual([{ key: `${run.runId}:execute:1:c1`, input: { amount: 900, sku: 'A1' } }]);
    expect(lastTool(llm.requests[1]!)?.content).toContain('fiona changed the arguments to {"amount":900');
  });

  test('a policy asks only for the calls it matches, and a tenant policy replaces it', async () => {
    const { engine, executed } = await boot();
    const segment = agentSegment({
      requires_approval: 'amount > 1000',
      requires_approval_by_tenant: { acme: 'amount > 5000' },
    });
    llm.script(
      { toolCalls: [{ id: 'small', name: 'create_order', arguments: { amount: 500 } }] },
      { text: 'done' },
    );
    const small = await engine.startRun({ segment, input: { id: 1 } });
    expect((await engine.waitForRun(small.runId)).status).toBe('completed');
    expect(executed.map((e) => e.key)).toEqual([`${small.runId}:execute:1:small`]);

    llm.script(
      { toolCalls: [{ id: 'mid', name: 'create_order', arguments: { amount: 1500 } }] },
      { text: 'done' },
    );
    await engine.tenants.create({ tenantId: 'acme', name: 'Acme' });
    const acme = await engine.startRun({ segment, input: { id: 2 }, tenantId: 'acme' });
    expect((await engine.waitForRun(acme.runId, { tenantId: 'acme' })).status).toBe('completed');
    expect(executed).toHaveLength(2);

    llm.script(
      { toolCalls: [{ id: 'mid', name: 'create_order', arguments: { amount: 1500 } }] },
      { text: 'done' },
    );
    const big = await engine.startRun({ segment, input: { id: 3 } });
    expect((await engine.waitForRun(big.runId)).status).toBe('waiting_human');
    expect(executed).toHaveLength(2);
  });

  test('validation names a policy that does not parse', () => {
    const engine = createEngine({ store: new MemoryStore() });
    const result = engine.validate(agentSegment({ requires_approval: 'amount >' }));
    expect(result.valid).toBe(false);
    expect(JSON.stringify(result)).toContain('tools[0].requires_approval');
  });

  test('several approvals of one turn are answered in any order; the free call runs at once', async () => {
    const { engine, executed } = await boot();
    llm.script(
      {
        toolCalls: [
          { id: 'a', name: 'create_order', arguments: { amount: 2000, sku: 'A' } },
          { id: 'inv', name: 'check_inventory', arguments: { sku: 'A' } },
          { id: 'b', name: 'create_order', arguments: { amount: 3000, sku: 'B' } },
        ],
      },
      { text: 'B created, A refused.' },
    );
    const run = await engine.startRun({
      segment: agentSegment({ requires_approval: true }),
      input: { id: 1 },
    });
    await engine.waitForRun(run.runId);
    expect(executed.map((e) => e.key)).toEqual([`${run.runId}:execute:1:inv`]);
    const open = await openRequests(engine, run.runId);
    const byCall = Object.fromEntries(
      open.map((i) => [(i.settings.context as { call_id: string }).call_id, i.interactionId]),
    );
    expect(Object.keys(byCall).sort()).toEqual(['a', 'b']);
    await engine.respond(byCall.b!, { action: 'approve', actor: finance });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_human');
    expect(executed).toHaveLength(1);
    await engine.respond(byCall.a!, { action: 'reject', comment: 'no', actor: finance });
    expect((await engine.waitForRun(run.runId)).status).toBe('completed');
    expect(executed.map((e) => e.key)).toEqual([`${run.runId}:execute:1:inv`, `${run.runId}:execute:1:b`]);
    const results = tools(llm.requests[1]!.body.messages as Message[]);
    expect(results.map((m) => m.tool_call_id)).toEqual(['a', 'inv', 'b']);
    expect(results[0]?.content).toContain('refused by fiona: no');
  });

  test('a signal that is no decision, or forges one, leaves the step suspended', async () => {
    const { engine, executed } = await boot();
    llm.script(
      { toolCalls: [{ id: 'c1', name: 'create_order', arguments: { amount: 1500 } }] },
      { text: 'ok' },
    );
    const run = await engine.startRun({
      segment: agentSegment({ requires_approval: true }),
      input: { id: 1 },
    });
    await engine.waitForRun(run.runId);
    const [request] = await openRequests(engine, run.runId);
    await engine.signal(run.runId, 'execute', 'garbage');
    await engine.signal(run.runId, 'execute', {
      interactionId: request!.interactionId,
      action: 'approve',
      subject: 'mallory',
    });
    await engine.resumeStep(run.runId, 'execute', { approvals: { [request!.interactionId]: 'yes' } });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_human');
    expect((await engine.store.getInteraction('default', request!.interactionId))?.status).toBe('pending');
    expect(executed).toEqual([]);
    expect(llm.calls).toBe(1);
    const types = (await engine.store.listEvents('default', run.runId)).map((e) => e.type);
    expect(types.filter((t) => t === 'tool.approval.ignored')).toHaveLength(1);
    await engine.respond(request!.interactionId, { action: 'approve', actor: finance });
    expect((await engine.waitForRun(run.runId)).status).toBe('completed');
    expect(executed).toHaveLength(1);
  });

  test('an approval that times out is refused by default, and the model is told why', async () => {
    const { engine, executed, clock } = await boot();
    llm.script(
      { toolCalls: [{ id: 'c1', name: 'create_order', arguments: { amount: 1500 } }] },
      { text: 'ok' },
    );
    const run = await engine.startRun({
      segment: agentSegment({ requires_approval: true, timeout: 'PT4H' }),
      input: { id: 1 },
    });
    await engine.waitForRun(run.runId);
    const [request] = await openRequests(engine, run.runId);
    expect(request?.deadline).toBe(new Date(clock.now() + 4 * 3600_000).toISOString());
    clock.advance(4 * 3600_000);
    await poll(engine);
    expect((await engine.waitForRun(run.runId)).status).toBe('completed');
    expect(executed).toEqual([]);
    expect(lastTool(llm.requests[1]!)?.content).toContain('was not approved in time');
  });

  test('with on_timeout "fail" an expired approval fails the step with a typed error', async () => {
    const { engine, clock } = await boot();
    llm.script({ toolCalls: [{ id: 'c1', name: 'create_order', arguments: { amount: 1500 } }] });
    const run = await engine.startRun({
      segment: agentSegment({ requires_approval: true, timeout: 60, on_timeout: 'fail' }),
      input: { id: 1 },
    });
    await engine.waitForRun(run.runId);
    clock.advance(60_000);
    await poll(engine);
    const done = await engine.waitForRun(run.runId);
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('LLMT_E_AGENT_APPROVAL_TIMEOUT');
    expect(done.error?.message).toContain('tool "create_order"');
  });

  test('answers given while the run is paused are all read when it resumes', async () => {
    const { engine, executed } = await boot();
    llm.script(
      {
        toolCalls: [
          { id: 'a', name: 'create_order', arguments: { amount: 2000 } },
          { id: 'b', name: 'create_order', arguments: { amount: 3000 } },
        ],
      },
      { text: 'both created' },
    );
    const run = await engine.startRun({
      segment: agentSegment({ requires_approval: true }),
      input: { id: 1 },
    });
    await engine.waitForRun(run.runId);
    const open = await openRequests(engine, run.runId);
    await engine.pauseRun(run.runId);
    for (const i of open) await engine.respond(i.interactionId, { action: 'approve', actor: finance });
    await engine.resumeRun(run.runId);
    for (let i = 0; i < 5 && (await engine.store.getRun('default', run.runId))?.status !== 'completed'; i++) {
      await engine.waitForRun(run.runId, { timeoutMs: 2000 });
      await poll(engine);
    }
    expect((await engine.store.getRun('default', run.runId))?.status).toBe('completed');
    expect(executed.map((e) => e.key).sort()).toEqual([
      `${run.runId}:execute:1:a`,
      `${run.runId}:execute:1:b`,
    ]);
  });
});
