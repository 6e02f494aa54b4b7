import { createEngine, defineStepType, type LlmProvider, MemoryStore } from '@llmteam/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { withCommitTiming } from './observability/commit-timing.js';
import { ORDER_FLOW, startTestGateway, type TestGateway } from './test-support.js';

const SMALL = { customer: 'small', items: [{ sku: 'widget', qty: 2, unit_price: 10 }] };
const BIG = { customer: 'big', items: [{ sku: 'gadget', qty: 30, unit_price: 50 }] };

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let t: TestGateway | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('serves runs by status, step durations by type, waiting requests and store commit latency', async () => {
    const store = withCommitTiming(new MemoryStore());
    const engine = createEngine({ store, logger: createLogger({ level: 'silent' }), pollIntervalMs: 50 });
    t = await startTestGateway({ store, engine });
    await engine.upsertSegment(ORDER_FLOW);
    for (const input of [SMALL, BIG]) {
      const run = await engine.startRun({ segmentId: 'order_flow', input });
      await engine.waitForRun(run.runId);
    }
    const res = await fetch(t.gateway.url.replace(/\/graphql$/, '/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(sample(text, 'llmteam_run_transitions_total{status="completed"}')).toBe(1);
    expect(sample(text, 'llmteam_run_transitions_total{status="waiting_human"}')).toBe(1);
    expect(
      sample(text, 'llmteam_step_duration_seconds_count{step_type="transform",outcome="completed"}'),
    ).toBeGreaterThanOrEqual(4);
    expect(
      sample(text, 'llmteam_step_duration_seconds_count{step_type="condition",outcome="completed"}'),
    ).toBe(2);
    expect(sample(text, 'llmteam_interactions_waiting')).toBe(1);
    expect(sample(text, 'llmteam_store_commit_seconds_count{outcome="ok"}')).toBeGreaterThan(5);
    expect(text).toContain('# TYPE llmteam_sla_breaches_total counter');
    expect(text).toContain('# TYPE llmteam_tokens_total counter');
    expect(text).toContain('# TYPE llmteam_action_calls_total counter');
  });

  it('counts retried and failed attempts, tokens and model calls by model, and action calls by action', async () => {
    let calls = 0;
    const flaky = defineStepType({
      type: 'flaky',
      displayName: 'Flaky',
      category: 'UTILITY',
      configSchema: { type: 'object' },
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'output' }],
      handler() {
        if (++calls === 1) throw new Error('first attempt fails');
        return { output: 'ok' };
      },
    });
    const llm: LlmProvider = {
      name: 'fake',
      chat: async () => ({
        content: 'hi',
        toolCalls: [],
        finishReason: 'stop',
        usage: { inputTokens: 100, outputTokens: 7 },
      }),
    };
    const store = withCommitTiming(new MemoryStore());
    const engine = createEngine({
      store,
      logger: createLogger({ level: 'silent' }),
      pollIntervalMs: 20,
      stepTypes: [flaky],
      resources: { llms: { fake: llm } },
    });
    engine.actions.defineFunction('reserve', () => ({ reserved: true }));
    engine.actions.defineFunction('refuse', () => {
      throw new Error('out of stock');
    });
    t = await startTestGateway({ store, engine });
    const run = await engine.startRun({
      segment: {
        segment_id: 'mixed',
        steps: [
          { step_id: 'agent', step_type: 'llm_agent', config: { provider: 'fake', model: 'm1' } },
          { step_id: 'act', step_type: 'action', config: { action: 'reserve' } },
          { step_id: 'retry', step_type: 'flaky', retry: { max_attempts: 2, backoff: 0 } },
        ],
        edges: [{ source_step: 'agent', target_step: 'act' }],
      },
    });
    expect((await engine.waitForRun(run.runId, { until: ['completed', 'failed'] })).status).toBe('completed');
    const failing = await engine.startRun({
      segment: {
        segment_id: 'refusing',
        steps: [{ step_id: 'no', step_type: 'action', config: { action: 'refuse' } }],
      },
    });
    expect((await engine.waitForRun(failing.runId, { until: ['completed', 'failed'] })).status).toBe(
      'failed',
    );
    const text = await (await fetch(t.gateway.url.replace(/\/graphql$/, '/metrics'))).text();
    expect(sample(text, 'llmteam_tokens_total{direction="input",provider="fake",model="m1"}')).toBe(100);
    expect(sample(text, 'llmteam_tokens_total{direction="output",provider="fake",model="m1"}')).toBe(7);
    expect(sample(text, 'llmteam_model_call_duration_seconds_count{provider="fake",model="m1"}')).toBe(1);
    expect(sample(text, 'llmteam_action_calls_total{action="reserve",status="completed"}')).toBe(1);
    expect(sample(text, 'llmteam_action_calls_total{action="refuse",status="failed"}')).toBe(1);
    expect(sample(text, 'llmteam_action_duration_seconds_count{action="reserve",status="completed"}')).toBe(
      1,
    );
    expect(sample(text, 'llmteam_step_duration_seconds_count{step_type="flaky",outcome="retrying"}')).toBe(1);
    expect(sample(text, 'llmteam_step_duration_seconds_count{step_type="flaky",outcome="completed"}')).toBe(
      1,
    );
    expect(sample(text, 'llmteam_step_duration_seconds_count{step_type="action",outcome="failed"}')).toBe(1);
    expect(sample(text, 'llmteam_run_transitions_total{status="failed"}')).toBe(1);
  });

  it('is off with metrics: false', async () => {
    t = await startTestGateway({ metrics: false });
    const res = await fetch(t.gateway.url.replace(/\/graphql$/, '/metrics'));
    expect(res.status).toBe(404);
  });
});
