import type { Server } from 'node:http';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, defineStepType, type LlmProvider, ManualClock, MemoryStore } from '../index.js';
import {
  byName,
  contextManager,
  headerServer,
  memoryTracing,
  ms,
  parentOf,
} from './telemetry.test-support.js';
import { formatTraceparent, parseTraceparent } from './trace-context.js';

let manager: AsyncLocalStorageContextManager;
let hook: Awaited<ReturnType<typeof headerServer>>;
beforeAll(async () => {
  manager = contextManager();
  context.setGlobalContextManager(manager);
  hook = await headerServer();
});
afterAll(async () => {
  context.disable();
  await new Promise<void>((resolve) => (hook.server as Server).close(() => resolve()));
});

const CALLER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('tracing', () => {
  test('a run span holds its step spans; an action span is a child of its step and its traceparent is sent', async () => {
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const { provider, exporter } = memoryTracing();
    const engine = createEngine({
      store: new MemoryStore(),
      clock,
      telemetry: { tracerProvider: provider },
      actions: { notify: { type: 'webhook', url: hook.url } },
      outbound: { allow: ['127.0.0.1'] },
    });
    const run = await engine.startRun({
      traceparent: CALLER,
      segment: {
        segment_id: 'orders',
        steps: [
          { step_id: 'price', step_type: 'transform', config: { expression: '{"total": 3}' } },
          { step_id: 'tell', step_type: 'action', config: { action: 'notify' } },
        ],
        edges: [{ source_step: 'price', target_step: 'tell' }],
      },
    });
    expect((await engine.waitForRun(run.runId)).status).toBe('completed');
    await engine.stop();

    const spans = byName(exporter.getFinishedSpans());
    const runSpan = spans.get('run orders')!;
    const price = spans.get('step price')!;
    const tell = spans.get('step tell')!;
    const action = spans.get('action notify')!;
    const caller = parseTraceparent(CALLER)!;
    // The run continues the caller's trace, under the caller's span.
    for (const s of [runSpan, price, tell, action]) expect(s.spanContext().traceId).toBe(caller.traceId);
    expect(parentOf(runSpan)).toBe(caller.spanId);
    expect(parentOf(price)).toBe(runSpan.spanContext().spanId);
    expect(parentOf(tell)).toBe(runSpan.spanContext().spanId);
    expect(parentOf(action)).toBe(tell.spanContext().spanId);
    expect(action.kind).toBe(SpanKind.CLIENT);
    expect(runSpan.attributes).toMatchObject({
      'llmteam.run_id': run.runId,
      'llmteam.segment_id': 'orders',
      'llmteam.run.status': 'completed',
    });
    expect(tell.attributes).toMatchObject({
      'llmteam.step_id': 'tell',
      'llmteam.step_type': 'action',
      'llmteam.step.attempt': 1,
      'llmteam.step.status': 'completed',
    });
    expect(action.attributes).toMatchObject({
      'llmteam.action.name': 'notify',
      'llmteam.action.type': 'webhook',
      'llmteam.action.status': 'completed',
      'http.response.status_code': 200,
    });
    // The webhook received the action span's context.
    expect(hook.headers.at(-1)?.traceparent).toBe(
      formatTraceparent(caller.traceId, action.spanContext().spanId, 1),
    );
    // Times come from the engine's clock.
    expect(ms(runSpan.startTime)).toBe(Date.parse('2026-03-01T10:00:00Z'));
  });

  test('a span that outlives an engine restart is emitted by the next engine with the ids its children used', async () => {
    const clock = new ManualClock('2026-03-01T09:00:00Z');
    const store = new MemoryStore();
    const segment = {
      segment_id: 'approval',
      steps: [
        { step_id: 'draft', step_type: 'transform', config: { expression: '"text"' } },
        {
          step_id: 'ask',
          step_type: 'human_task',
          config: { task_type: 'approval', title: 'Publish?', assignee_ref: 'alice' },
        },
        { step_id: 'publish', step_type: 'transform', config: { expression: '"published"' } },
      ],
      edges: [
        { source_step: 'draft', target_step: 'ask' },
        { source_step: 'ask', source_port: 'approved', target_step: 'publish' },
      ],
    };
    const first = memoryTracing();
    const a = createEngine({ store, clock, telemetry: { tracerProvider: first.provider } });
    const run = await a.startRun({ segment, traceparent: CALLER });
    expect((await a.waitForRun(run.runId)).status).toBe('waiting_human');
    const [request] = await a.listInteractions({ runId: run.runId });
    await a.stop();
    // Before the restart only the finished step is exported.
    expect(first.exporter.getFinishedSpans().map((s) => s.name)).toEqual(['step draft']);
    const draft = first.exporter.getFinishedSpans()[0]!;

    clock.advance(3_600_000);
    const second = memoryTracing();
    const b = createEngine({ store, clock, telemetry: { tracerProvider: second.provider } });
    await b.start();
    await b.respond(request!.interactionId, { action: 'approve', actor: { subject: 'alice' } });
    expect((await b.waitForRun(run.runId, { until: ['completed'] })).status).toBe('completed');
    await b.stop();

    const spans = byName(second.exporter.getFinishedSpans());
    const runSpan = spans.get('run approval')!;
    const ask = spans.get('step ask')!;
    const wait = spans.get('wait approval')!;
    const publish = spans.get('step publish')!;
    // The run span made after the restart is the parent draft was exported with.
    expect(parentOf(draft)).toBe(runSpan.spanContext().spanId);
    expect(parentOf(runSpan)).toBe(parseTraceparent(CALLER)!.spanId);
    expect(parentOf(ask)).toBe(runSpan.spanContext().spanId);
    expect(parentOf(publish)).toBe(runSpan.spanContext().spanId);
    expect(parentOf(wait)).toBe(ask.spanContext().spanId);
    for (const s of [runSpan, ask, wait, publish])
      expect(s.spanContext().traceId).toBe(draft.spanContext().traceId);
    // Start times come from the store: the wait began when the request was made, an hour earlier.
    expect(ms(wait.startTime)).toBe(Date.parse(request!.createdAt));
    expect(ms(wait.endTime) - ms(wait.startTime)).toBe(3_600_000);
    expect(ms(runSpan.startTime)).toBe(Date.parse(run.createdAt));
    expect(wait.attributes).toMatchObject({
      'llmteam.interaction_id': request!.interactionId,
      'llmteam.interaction.type': 'approval',
      'llmteam.interaction.status': 'completed',
      'llmteam.interaction.action': 'approve',
    });
  });

  test('model and tool calls of an agent follow the GenAI conventions, with the action under the tool', async () => {
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const { provider, exporter } = memoryTracing();
    let turn = 0;
    const llm: LlmProvider = {
      name: 'fake',
      async chat() {
        turn++;
        clock.advance(1500);
        if (turn === 1) {
          return {
            content: '',
            toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"id":7}' }],
            finishReason: 'tool_calls',
            usage: { inputTokens: 120, outputTokens: 15 },
            model: 'small-1-2026',
          };
        }
        return {
          content: 'done',
          toolCalls: [],
          finishReason: 'stop',
          usage: { inputTokens: 200, outputTokens: 30 },
        };
      },
    };
    const engine = createEngine({
      store: new MemoryStore(),
      clock,
      telemetry: { tracerProvider: provider },
      resources: { llms: { fake: llm } },
    });
    engine.actions.defineFunction('lookup', (input) => ({ found: input }));
    const run = await engine.startRun({
      segment: {
        segment_id: 'agent',
        steps: [
          {
            step_id: 'answer',
            step_type: 'llm_agent',
            config: { provider: 'fake', model: 'small-1', temperature: 0.2, tools: [{ action: 'lookup' }] },
          },
        ],
      },
    });
    expect((await engine.waitForRun(run.runId)).status).toBe('completed');
    await engine.stop();

    const spans = exporter.getFinishedSpans();
    const step = spans.find((s) => s.name === 'step answer')!;
    const chats = spans.filter((s) => s.name === 'chat small-1');
    const tool = spans.find((s) => s.name === 'execute_tool lookup')!;
    const action = spans.find((s) => s.name === 'action lookup')!;
    expect(chats).toHaveLength(2);
    for (const c of chats) expect(parentOf(c)).toBe(step.spanContext().spanId);
    expect(chats[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'fake',
      'gen_ai.request.model': 'small-1',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.model': 'small-1-2026',
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 15,
    });
    expect(chats[0]!.kind).toBe(SpanKind.CLIENT);
    expect(ms(chats[0]!.endTime) - ms(chats[0]!.startTime)).toBe(1500);
    expect(chats[1]!.attributes['gen_ai.usage.output_tokens']).toBe(30);
    expect(parentOf(tool)).toBe(step.spanContext().spanId);
    expect(tool.attributes).toMatchObject({ 'gen_ai.tool.name': 'lookup', 'gen_ai.tool.call.id': 'call_1' });
    expect(parentOf(action)).toBe(tool.spanContext().spanId);
  });

  test('a failed attempt that is retried is an error span of its own, then the next attempt succeeds', async () => {
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const { provider, exporter } = memoryTracing();
    let calls = 0;
    const flaky = defineStepType({
      type: 'flaky',
      displayName: 'Flaky',
      category: 'UTILITY',
      configSchema: { type: 'object' },
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'output' }],
      async handler(ctx) {
        if (++calls === 1) throw new Error('first call fails');
        ctx.logger.info({}, 'second call');
        return { output: ctx.trace.traceparent };
      },
    });
    const engine = createEngine({
      store: new MemoryStore(),
      clock,
      stepTypes: [flaky],
      telemetry: { tracerProvider: provider },
    });
    await engine.start();
    const run = await engine.startRun({
      segment: {
        segment_id: 'retry',
        steps: [
          { step_id: 'f', step_type: 'flaky', retry: { max_attempts: 2, backoff: 'PT10S', jitter: 0 } },
        ],
      },
    });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_action');
    clock.advance(10_000);
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    await engine.stop();
    expect(done.status).toBe('completed');
    const attempts = exporter.getFinishedSpans().filter((s) => s.name === 'step f');
    expect(attempts.map((s) => s.attributes['llmteam.step.attempt'])).toEqual([1, 2]);
    expect(attempts[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts[0]!.attributes['llmteam.step.status']).toBe('retrying');
    expect(ms(attempts[0]!.endTime)).toBe(Date.parse('2026-03-01T10:00:00Z'));
    expect(ms(attempts[1]!.startTime)).toBe(Date.parse('2026-03-01T10:00:10Z'));
    expect(attempts[1]!.status.code).toBe(SpanStatusCode.UNSET);
    // The handler's traceparent is its own attempt's span.
    expect(parseTraceparent(done.outputs!.f as string)?.spanId).toBe(attempts[1]!.spanContext().spanId);
  });
});

describe('trace context without an SDK', () => {
  test('an HTTP action still sends the run trace, and a bad traceparent names the field', async () => {
    const engine = createEngine({
      store: new MemoryStore(),
      actions: { notify: { type: 'webhook', url: hook.url } },
      outbound: { allow: ['127.0.0.1'] },
    });
    const segment = {
      segment_id: 'plain',
      steps: [{ step_id: 'tell', step_type: 'action', config: { action: 'notify' } }],
    };
    const run = await engine.startRun({ segment, traceparent: CALLER });
    expect((await engine.waitForRun(run.runId)).status).toBe('completed');
    const sent = parseTraceparent(String(hook.headers.at(-1)?.traceparent));
    expect(sent?.traceId).toBe(run.trace?.traceId);
    expect(run.trace?.traceId).toBe(parseTraceparent(CALLER)!.traceId);
    await expect(engine.startRun({ segment, traceparent: 'not-a-trace' })).rejects.toMatchObject({
      code: 'LLMT_E_INVALID_ARGUMENT',
      details: { field: 'traceparent' },
    });
    await engine.stop();
  });

  test('an SDK registered globally after the engine was made gets the spans of later runs', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const segment = {
      segment_id: 'late_sdk',
      steps: [{ step_id: 'only', step_type: 'transform', config: { expression: '1' } }],
    };
    const before = await engine.startRun({ segment });
    expect((await engine.waitForRun(before.runId)).status).toBe('completed');
    const { provider, exporter } = memoryTracing();
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    try {
      const after = await engine.startRun({ segment });
      expect((await engine.waitForRun(after.runId)).status).toBe('completed');
      const spans = exporter.getFinishedSpans();
      expect(spans.map((s) => s.name).sort()).toEqual(['run late_sdk', 'step only']);
      expect(spans.every((s) => s.spanContext().traceId === after.trace?.traceId)).toBe(true);
    } finally {
      trace.disable();
      await engine.stop();
    }
  });

  test('parses and formats W3C traceparent values', () => {
    expect(parseTraceparent(CALLER)).toEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      flags: 1,
    });
    expect(parseTraceparent('00-00000000000000000000000000000000-b7ad6b7169203331-01')).toBeUndefined();
    expect(parseTraceparent('ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBeUndefined();
    expect(parseTraceparent(`${CALLER}-extra`)).toBeUndefined();
    expect(parseTraceparent('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra')?.flags).toBe(1);
    expect(formatTraceparent('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 0)).toBe(
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
    );
  });
});
