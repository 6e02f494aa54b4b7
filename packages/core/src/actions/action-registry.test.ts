import { afterEach, describe, expect, test, vi } from 'vitest';
import { eventOf } from '../engine/test-helpers.js';
import {
  ActionRegistry,
  createEngine,
  defineStepType,
  type Engine,
  type EngineOptions,
  isLlmteamError,
  ManualClock,
  MemoryStore,
  type SegmentDefinition,
} from '../index.js';

const engines: Engine[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const e of engines.splice(0)) await e.stop({ graceMs: 200 });
});

async function boot(options: Partial<EngineOptions> = {}): Promise<Engine> {
  const engine = createEngine({ store: new MemoryStore(), ...options });
  engines.push(engine);
  await engine.start();
  return engine;
}

const actionSegment = (action: string, extra: Record<string, unknown> = {}): SegmentDefinition => ({
  segment_id: `call_${action}`,
  steps: [{ step_id: 'call', step_type: 'action', config: { action }, ...extra }],
});

describe('action step', () => {
  test('calls a function action and writes its data to output, audited in the same commit', async () => {
    const engine = await boot();
    const seen: unknown[] = [];
    engine.actions.defineFunction('check_inventory', (input, ctx) => {
      seen.push({ input, key: ctx.idempotencyKey, correlation: ctx.correlationId });
      return { in_stock: 3 };
    });
    const run = await engine.startRun({ segment: actionSegment('check_inventory'), input: { sku: 'A' } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ call: { in_stock: 3 } });
    expect(seen).toEqual([{ input: { sku: 'A' }, key: `${run.runId}:call:1`, correlation: run.runId }]);

    const events = await engine.store.listEvents('default', run.runId);
    const completed = events.find((e) => e.type === 'action.completed')!;
    expect(completed.data).toMatchObject({ action: 'check_inventory', status: 'completed', retry_count: 0 });
    // The call's event is committed together with the step's result.
    const stepDone = events.find((e) => e.type === 'step.completed')!;
    expect(stepDone.seq).toBe(completed.seq + 1);
    const audit = await engine.listAudit();
    const entry = audit.find((a) => a.action === 'action.call')!;
    expect(entry).toMatchObject({
      actor: `run:${run.runId}`,
      target: 'check_inventory',
      runId: run.runId,
      data: { status: 'completed', step_id: 'call' },
    });
    expect(typeof entry.data?.duration_ms).toBe('number');
    expect((await engine.verifyAudit()).valid).toBe(true);
  });

  test('output "result" keeps the whole result model', async () => {
    const engine = await boot();
    engine.actions.defineFunction('echo', (input) => input);
    const segment = {
      segment_id: 'result',
      steps: [{ step_id: 'call', step_type: 'action', config: { action: 'echo', output: 'result' } }],
    };
    const run = await engine.startRun({ segment, input: { a: 1 } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs?.call).toMatchObject({
      action: 'echo',
      type: 'function',
      status: 'completed',
      data: { a: 1 },
      retry_count: 0,
      idempotency_key: `${run.runId}:call:1`,
    });
    const result = done.outputs?.call as Record<string, unknown>;
    expect(typeof result.started_at).toBe('string');
    expect(typeof result.completed_at).toBe('string');
  });

  test('an unknown action fails the run at once with a typed error naming it, audited as failed', async () => {
    const engine = await boot();
    const run = await engine.startRun({
      segment: actionSegment('nope', { retry: { max_attempts: 3, backoff: 0 } }),
      input: {},
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('LLMT_E_ACTION_NOT_FOUND');
    expect(done.error?.message).toContain('"nope"');
    const events = await engine.store.listEvents('default', run.runId);
    expect(events.filter((e) => e.type === 'step.retrying')).toHaveLength(0);
    expect(events.find((e) => e.type === 'action.failed')?.data).toMatchObject({
      action: 'nope',
      error_type: 'LLMT_E_ACTION_NOT_FOUND',
    });
  });

  test('a config failing its schema is refused when declared, naming the action and the field', () => {
    let error: unknown;
    try {
      createEngine({
        store: new MemoryStore(),
        actions: { bad: { type: 'function', retry_count: -1 } },
      });
    } catch (e) {
      error = e;
    }
    expect(isLlmteamError(error) && error.code).toBe('LLMT_E_ACTION_CONFIG');
    expect((error as Error).message).toContain('actions.bad.retry_count');
  });

  test('an input failing request_schema is not sent and not retried', async () => {
    const engine = await boot();
    const fn = vi.fn(() => 'sent');
    engine.actions.defineFunction('order', fn, {
      request_schema: { type: 'object', required: ['sku'] },
      retry_count: 3,
    });
    const run = await engine.startRun({ segment: actionSegment('order'), input: { qty: 1 } });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.error?.code).toBe('LLMT_E_ACTION_REQUEST_INVALID');
    expect(done.error?.message).toContain('sku');
    expect(fn).not.toHaveBeenCalled();
  });

  test('a response failing response_schema is a non-retryable error', async () => {
    const engine = await boot();
    const fn = vi.fn(() => ({ total: 'many' }));
    engine.actions.defineFunction('price', fn, {
      response_schema: { type: 'object', properties: { total: { type: 'number' } } },
      retry_count: 2,
    });
    const run = await engine.startRun({ segment: actionSegment('price'), input: {} });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.error?.code).toBe('LLMT_E_ACTION_RESPONSE_INVALID');
    expect(fn).toHaveBeenCalledTimes(1);
  });

  test('retry_count retries on durable timers, with the same key per attempt', async () => {
    const clock = new ManualClock();
    const engine = await boot({ clock });
    const keys: string[] = [];
    engine.actions.defineFunction(
      'flaky',
      (_input, ctx) => {
        keys.push(ctx.idempotencyKey);
        if (keys.length < 3) throw new Error('far side down');
        return 'ok';
      },
      { retry_count: 2 },
    );
    const run = await engine.startRun({ segment: actionSegment('flaky'), input: {} });
    await eventOf(engine, run.runId, 'step.retrying');
    expect(await engine.store.listTimers('default', run.runId)).toHaveLength(1);
    // Nothing waits in memory: the retry is a stored timer.
    clock.advance(60_000);
    await (engine as unknown as { poll(): Promise<void> }).poll();
    await eventOf(engine, run.runId, 'step.retrying', 2);
    expect(keys).toHaveLength(2);
    expect(await engine.store.listTimers('default', run.runId)).toHaveLength(1);
    clock.advance(60_000);
    await (engine as unknown as { poll(): Promise<void> }).poll();
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('completed');
    expect(keys).toEqual([`${run.runId}:call:1`, `${run.runId}:call:2`, `${run.runId}:call:3`]);
    const failed = (await engine.store.listEvents('default', run.runId)).filter(
      (e) => e.type === 'action.failed',
    );
    expect(failed.map((e) => e.data.retry_count)).toEqual([0, 1]);
  });

  test('ctx.actions works from any step handler; each call gets its own stable key', async () => {
    const keys: string[] = [];
    const agent = defineStepType({
      type: 'tool_user',
      displayName: 'Tool user',
      category: 'AI',
      configSchema: { type: 'object' },
      inputs: [{ port_id: 'input' }],
      outputs: [{ port_id: 'output' }],
      async handler(ctx) {
        const a = await ctx.actions.execute('lookup', { q: 1 });
        const b = await ctx.actions.execute('lookup', { q: 2 }, { idempotencyKey: `${ctx.runId}:t:1:c1` });
        return { output: [a.data, b.data] };
      },
    });
    const engine = await boot({ stepTypes: [agent] });
    engine.actions.defineFunction('lookup', (input: any, ctx) => {
      keys.push(ctx.idempotencyKey);
      return input.q * 10;
    });
    const run = await engine.startRun({
      segment: { segment_id: 'tools', steps: [{ step_id: 'agent', step_type: 'tool_user' }] },
      input: {},
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ agent: [10, 20] });
    expect(keys).toEqual([`${run.runId}:agent:1`, `${run.runId}:t:1:c1`]);
    const audit = (await engine.listAudit()).filter((a) => a.action === 'action.call');
    expect(audit).toHaveLength(2);
  });

  test('plugins register function actions, action types and configs', async () => {
    const engine = await boot({
      actions: { greet: { type: 'acme.greeter', greeting: 'hello' } },
      plugins: [
        {
          name: 'acme',
          version: '1.0.0',
          apiVersion: '^1.0.0',
          setup(api) {
            api.registerActionType({
              type: 'acme.greeter',
              configSchema: { type: 'object', required: ['greeting'] },
              async execute(input, ctx) {
                return { data: `${ctx.config.greeting} ${input}`, code: 200 };
              },
            });
            api.registerAction('shout', (input) => String(input).toUpperCase(), { timeout: 'PT1S' });
          },
        },
      ],
    });
    const list = engine.actions.list();
    expect(list.map((a) => [a.name, a.type, a.source])).toEqual([
      ['greet', 'acme.greeter', 'config'],
      ['shout', 'function', 'acme'],
    ]);
    expect(list[1]!.timeout_ms).toBe(1000);
    const r = await engine.actions.execute('greet', 'bob', { tenantId: 'default', idempotencyKey: 'k1' });
    expect(r).toMatchObject({ status: 'completed', data: 'hello bob', response_code: 200 });
  });
});

describe('action executor', () => {
  const call = { tenantId: 't1', idempotencyKey: 'k' };

  test('a call over its timeout ends as status timeout with LLMT_E_ACTION_TIMEOUT', async () => {
    const registry = new ActionRegistry({ secrets: { get: async () => undefined } });
    let aborted = false;
    registry.defineFunction(
      'slow',
      (_i, ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve('late');
          });
        }),
      { timeout: 0.05 },
    );
    const error = await registry.execute('slow', {}, call).catch((e) => e);
    expect(error.code).toBe('LLMT_E_ACTION_TIMEOUT');
    expect(error.retryable).toBe(true);
    expect(error.details.result).toMatchObject({ status: 'timeout', error_type: 'LLMT_E_ACTION_TIMEOUT' });
    expect(aborted).toBe(true);
  });

  test('a rate-limited call waits up to max_wait, then fails with LLMT_E_RATE_LIMITED', async () => {
    const registry = new ActionRegistry({ secrets: { get: async () => undefined } });
    let calls = 0;
    registry.defineFunction('limited', () => ++calls, {
      rate_limit: { requests_per_minute: 60, burst_size: 2, max_wait: 0 },
    });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => registry.execute('limited', {}, call)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(refused.map((r) => r.reason.code)).toEqual(Array(3).fill('LLMT_E_RATE_LIMITED'));
    expect(refused[0]!.reason.details.field).toBe('rate_limit');
    expect(calls).toBe(2);
  });

  test('per-tenant limits hold each tenant to its own bucket', async () => {
    const registry = new ActionRegistry({ secrets: { get: async () => undefined } });
    registry.defineFunction('t', () => 1, {
      rate_limit: {
        requests_per_second: 100,
        per_tenant: true,
        tenant_requests_per_minute: 60,
        burst_size: 1,
        max_wait: 0,
      },
    });
    const a = await Promise.allSettled(
      [1, 2].map(() => registry.execute('t', {}, { ...call, tenantId: 'a' })),
    );
    const b = await registry.execute('t', {}, { ...call, tenantId: 'b' });
    expect(a.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(b.status).toBe('completed');
  });

  test('the breaker opens after failure_threshold failures, fails fast, then half-opens and closes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const registry = new ActionRegistry({ secrets: { get: async () => undefined } });
    let failing = true;
    let calls = 0;
    registry.defineFunction(
      'erp',
      () => {
        calls++;
        if (failing) throw new Error('503');
        return 'ok';
      },
      { circuit_breaker: { failure_threshold: 2, open_timeout: 'PT30S' } },
    );
    for (let i = 0; i < 2; i++) await registry.execute('erp', {}, call).catch(() => undefined);
    expect(registry.list()[0]!.circuit_state).toBe('open');
    const open = await registry.execute('erp', {}, call).catch((e) => e);
    expect(open.code).toBe('LLMT_E_CIRCUIT_OPEN');
    expect(calls).toBe(2);
    vi.setSystemTime(Date.now() + 31_000);
    failing = false;
    expect((await registry.execute('erp', {}, call)).data).toBe('ok');
    expect(registry.list()[0]!.circuit_state).toBe('closed');
  });

  test('a request error does not count against the breaker', async () => {
    const registry = new ActionRegistry({ secrets: { get: async () => undefined } });
    registry.defineFunction('strict', () => 1, {
      request_schema: { type: 'string' },
      circuit_breaker: { failure_threshold: 1 },
    });
    await registry.execute('strict', 5, call).catch(() => undefined);
    await registry.execute('strict', 5, call).catch(() => undefined);
    expect((await registry.execute('strict', 'x', call)).status).toBe('completed');
  });

  test('max_concurrency with no queue refuses the extra call with LLMT_E_ACTION_BUSY', async () => {
    const registry = new ActionRegistry({ secrets: { get: async () => undefined } });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    registry.defineFunction('one', () => gate.then(() => 'done'), { max_concurrency: 1 });
    const first = registry.execute('one', {}, call);
    const second = await registry.execute('one', {}, call).catch((e) => e);
    expect(second.code).toBe('LLMT_E_ACTION_BUSY');
    expect(registry.list()[0]!.in_flight).toBe(1);
    release();
    expect((await first).data).toBe('done');
  });

  test('a missing secret is a typed error naming the action and the field', async () => {
    const registry = new ActionRegistry({ secrets: { get: async () => undefined } });
    registry.defineFunction('needs', (_i, ctx) => ctx.secrets.get('erp_token', 'auth_config.token_secret'));
    const error = await registry.execute('needs', {}, call).catch((e) => e);
    expect(error.code).toBe('LLMT_E_SECRET_NOT_FOUND');
    expect(error.message).toContain('action "needs"');
    expect(error.message).toContain('auth_config.token_secret');
    expect(error.retryable).toBe(false);
  });
});
