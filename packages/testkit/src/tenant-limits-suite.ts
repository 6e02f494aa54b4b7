import {
  createEngine,
  defineStepType,
  type Engine,
  isLlmteamError,
  ManualClock,
  type RunRecord,
  type Store,
} from '@llmteam/core';
import { eventually } from './eventually.js';
import { startWebhookReceiver } from './servers/webhook-receiver.js';
import type { StoreSuiteDescribe, StoreSuiteExpect, StoreSuiteTest } from './store-suite/suite-support.js';

/** Options of {@link tenantLimitsSuite}. */
export interface TenantLimitsSuiteOptions {
  /** Shown in the suite's name, e.g. `@llmteam/store-sqlite`. */
  name: string;
  /** A fresh, empty store over a real database (the suite calls `init()`). */
  create(): Promise<Store>;
  /** A second instance over the same data, as another process would open it. */
  createPeer(store: Store): Promise<Store>;
  /** Disposes of a store made by `create`. @default store.close() */
  destroy?(store: Store): Promise<void>;
  /** Engines starting runs at once in the concurrency test. @default 4 */
  workers?: number;
  test: StoreSuiteTest;
  expect: StoreSuiteExpect;
  describe: StoreSuiteDescribe;
}

/** Suspends at once and finishes when signalled: a run that holds a `concurrent_runs` slot. */
const gate = defineStepType({
  type: 'tenancy_gate',
  displayName: 'Gate',
  category: 'UTILITY',
  configSchema: {},
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  handler(ctx) {
    if (ctx.resume === undefined) ctx.suspend({});
    return { output: ctx.resume };
  },
});

const GATED = {
  segment_id: 'gated',
  version: '1.0.0',
  steps: [{ step_id: 'g', step_type: 'tenancy_gate', config: {} }],
};
const ASK = {
  segment_id: 'ask',
  version: '1.0.0',
  steps: [{ step_id: 'a', step_type: 'human_task', config: { task_type: 'approval', title: 'OK?' } }],
};

/** One call of the action `notify` (a webhook); `retry` gives the step a retry policy. */
const notifySegment = (retry?: { max_attempts: number; backoff: number }) => ({
  segment_id: retry ? 'notify_retried' : 'notify',
  version: '1.0.0',
  steps: [{ step_id: 'n', step_type: 'action', config: { action: 'notify' }, ...(retry ? { retry } : {}) }],
});

/** The code and details of a rejection, or `no error`. */
async function refusal(
  promise: Promise<unknown>,
): Promise<{ code: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (isLlmteamError(error)) return { code: error.code, details: error.details };
    return { code: String(error) };
  }
  return { code: 'no error' };
}

/**
 * Tenancy on a real store: runs, segments and keys of a tenant that does not exist are
 * refused; `concurrent_runs: 1` lets exactly one of N simultaneous starts through across
 * engines sharing the database (the count is in the commit's transaction); each limit is
 * refused with `LLMT_E_LIMIT_EXCEEDED` naming it, its value and the tier;
 * `action_calls_per_minute` is counted from the stored calls of every engine sharing the
 * database, and a call beyond it never reaches the (real, local) HTTP server.
 */
export function tenantLimitsSuite(options: TenantLimitsSuiteOptions): void {
  const { test, expect, describe } = options;
  const withEngines = async (count: number, fn: (engines: Engine[]) => Promise<void>) => {
    const store = await options.create();
    await store.init();
    const stores = [store];
    for (let i = 1; i < count; i++) {
      const peer = await options.createPeer(store);
      await peer.init();
      stores.push(peer);
    }
    const engines = stores.map((s) =>
      createEngine({ store: s, stepTypes: [gate], audit: { checkpointEvery: 0 } }),
    );
    try {
      await fn(engines);
    } finally {
      for (const e of engines) await e.stop();
      for (const s of stores.slice(1)) await s.close();
      await (options.destroy ? options.destroy(store) : store.close());
    }
  };

  /** Engines on one database with one manual clock, whose action `notify` posts to a real local HTTP server. */
  const withActionEngines = async (
    fn: (engines: Engine[], clock: ManualClock, requests: () => number) => Promise<void>,
  ) => {
    const receiver = await startWebhookReceiver({ reply: () => ({ body: { ok: true } }) });
    const clock = new ManualClock('2026-05-04T10:00:00Z');
    const store = await options.create();
    await store.init();
    const peer = await options.createPeer(store);
    await peer.init();
    const engines = [store, peer].map((s) =>
      createEngine({
        store: s,
        clock,
        audit: { checkpointEvery: 0 },
        actions: { notify: { type: 'webhook', url: `${receiver.url}/notify`, method: 'POST' } },
        outbound: { allow: ['127.0.0.1'] },
      }),
    );
    try {
      for (const e of engines) await e.start();
      await fn(engines, clock, () => receiver.requests.length);
    } finally {
      for (const e of engines) await e.stop({ graceMs: 50 });
      await peer.close();
      await (options.destroy ? options.destroy(store) : store.close());
      await receiver.close();
    }
  };
  const callOn = async (engine: Engine) => {
    const run = await engine.forTenant('calls').startRun({ segment: notifySegment(), input: { n: 1 } });
    return engine.waitForRun(run.runId, { tenantId: 'calls', until: ['completed', 'failed'] });
  };

  describe(`${options.name}: tenancy and limits`, () => {
    test('action_calls_per_minute: N calls are sent, call N+1 is refused before it leaves, the next minute takes calls again, counted across engines', () =>
      withActionEngines(async ([a, b], clock, requests) => {
        await a!.tenants.create({
          tenantId: 'calls',
          name: 'Calls',
          tier: 'starter',
          limits: { action_calls_per_minute: 3 },
        });
        for (const engine of [a!, a!, b!]) expect((await callOn(engine)).status).toBe('completed');
        expect(requests()).toBe(3);
        clock.advance(10_000);

        // Both engines see the three stored calls: the fourth is refused on either, never sent.
        for (const engine of [b!, a!]) {
          const refused: RunRecord = await callOn(engine);
          expect(refused.status).toBe('failed');
          const [step] = await engine.store.getSteps('calls', refused.runId);
          const error = step?.error;
          const details = (error?.details ?? {}) as Record<string, unknown>;
          const { result: _result, ...refusalDetails } = details;
          expect({ code: error?.code, retryable: error?.retryable, details: refusalDetails }).toEqual({
            code: 'LLMT_E_LIMIT_EXCEEDED',
            retryable: true,
            details: {
              tenantId: 'calls',
              limit: 'action_calls_per_minute',
              value: 3,
              tier: 'starter',
              used: 3,
              action: 'notify',
              retry_after_ms: 50_000,
            },
          });
          const message = String(error?.message);
          expect(
            message.includes(
              'reached its limit action_calls_per_minute = 3 (3 in use) of tier starter; action "notify" was not called; the minute has room again in 50 s',
            ),
            message,
          ).toBe(true);
          const events = await engine.store.listEvents('calls', refused.runId);
          const failed = events.find((e) => e.type === 'action.failed')?.data;
          expect([failed?.action, failed?.error_type]).toEqual(['notify', 'LLMT_E_LIMIT_EXCEEDED']);
        }
        expect(requests()).toBe(3);
        expect((await a!.tenants.usage('calls')).action_calls_per_minute).toBe(3);

        // A step that may retry waits for the window, then its call goes.
        const waiting = await b!
          .forTenant('calls')
          .startRun({ segment: notifySegment({ max_attempts: 2, backoff: 1 }), input: { n: 1 } });
        const retrying = await eventually(
          async () =>
            (await b!.store.listEvents('calls', waiting.runId)).find((e) => e.type === 'step.retrying'),
          'the refused step to wait for its retry',
        );
        expect(retrying.data.delay_ms).toBe(50_000);
        expect(requests()).toBe(3);

        // A minute after the first calls they leave the window: calls are sent again.
        clock.advance(50_000);
        const retried = await b!.waitForRun(waiting.runId, {
          tenantId: 'calls',
          until: ['completed', 'failed'],
        });
        expect(retried.status).toBe('completed');
        expect(requests()).toBe(4);
        expect((await callOn(a!)).status).toBe('completed');
        expect(requests()).toBe(5);
        expect((await b!.tenants.usage('calls')).action_calls_per_minute).toBe(2);
      }));

    test('refuses a run, a segment and a key in a tenant that does not exist, naming it', () =>
      withEngines(1, async ([engine]) => {
        const ghost = engine!.forTenant('ghost');
        const run = await refusal(ghost.startRun({ segment: GATED }));
        expect(run.code).toBe('LLMT_E_TENANT_NOT_FOUND');
        expect(run.details?.tenantId).toBe('ghost');
        expect((await refusal(ghost.upsertSegment(GATED))).code).toBe('LLMT_E_TENANT_NOT_FOUND');
        const key = {
          keyId: 'k1',
          tenantId: 'ghost',
          secretHash: 'x',
          roles: ['viewer' as const],
          subject: 's',
          groups: [],
          createdAt: new Date().toISOString(),
        };
        expect((await refusal(ghost.putApiKey(key))).code).toBe('LLMT_E_TENANT_NOT_FOUND');
        expect(await engine!.store.listRuns('ghost')).toEqual({ items: [] });
      }));

    test('limits.concurrent_runs: 1 lets exactly one of N simultaneous starts through, across engines', () =>
      withEngines(options.workers ?? 4, async (engines) => {
        await engines[0]!.tenants.create({
          tenantId: 'busy',
          name: 'Busy',
          tier: 'starter',
          limits: { concurrent_runs: 1 },
        });
        await engines[0]!.forTenant('busy').upsertSegment(GATED);
        const results = await Promise.all(
          engines.flatMap((e) =>
            [0, 1].map(() => refusal(e.forTenant('busy').startRun({ segmentId: 'gated' }))),
          ),
        );
        const passed = results.filter((r) => r.code === 'no error');
        const refused = results.filter((r) => r.code === 'LLMT_E_LIMIT_EXCEEDED');
        expect(passed).toHaveLength(1);
        expect(refused).toHaveLength(results.length - 1);
        expect(refused[0]!.details).toEqual({
          tenantId: 'busy',
          limit: 'concurrent_runs',
          value: 1,
          tier: 'starter',
          used: 1,
        });
        const runs = await engines[0]!.store.listRuns('busy');
        expect(runs.items).toHaveLength(1);
      }));

    test('refuses runs per day, segments, keys and runs while at the waiting-interaction limit, each by name', () =>
      withEngines(1, async ([engine]) => {
        const tenants = engine!.tenants;
        await tenants.create({
          tenantId: 'small',
          name: 'Small',
          tier: 'free',
          limits: { runs_per_day: 2, segments: 2, api_keys: 1, waiting_interactions: 1 },
        });
        const small = engine!.forTenant('small');
        await small.upsertSegment(ASK);
        await small.upsertSegment(GATED);
        const third = await refusal(small.upsertSegment({ ...GATED, segment_id: 'third' }));
        expect(third.details).toEqual({
          tenantId: 'small',
          limit: 'segments',
          value: 2,
          tier: 'free',
          used: 2,
        });
        // A new version of a stored segment is not a new segment.
        await small.upsertSegment({ ...GATED, version: '1.0.1' });

        const asked = await small.startRun({ segmentId: 'ask' });
        await engine!.waitForRun(asked.runId, { tenantId: 'small', until: ['waiting_human'] });
        const waiting = await refusal(small.startRun({ segmentId: 'gated' }));
        expect(waiting.details?.limit).toBe('waiting_interactions');

        await tenants.update('small', { limits: { runs_per_day: 2, api_keys: 1 } });
        await small.startRun({ segmentId: 'gated' });
        const daily = await refusal(small.startRun({ segmentId: 'gated' }));
        expect(daily.details).toEqual({
          tenantId: 'small',
          limit: 'runs_per_day',
          value: 2,
          tier: 'free',
          used: 2,
        });

        const key = (id: string) => ({
          keyId: id,
          tenantId: 'small',
          secretHash: id,
          roles: ['viewer' as const],
          subject: 's',
          groups: [],
          createdAt: new Date().toISOString(),
        });
        await small.putApiKey(key('k1'));
        const second = await refusal(small.putApiKey(key('k2')));
        expect(second.details).toEqual({
          tenantId: 'small',
          limit: 'api_keys',
          value: 1,
          tier: 'free',
          used: 1,
        });
        await small.revokeApiKey('k1', new Date().toISOString());
        await small.putApiKey(key('k2'));
        expect((await tenants.usage('small')).api_keys).toBe(1);
      }));

    test('a suspended tenant starts nothing until resumed; a deleted one loses its runs and keys and is refused', () =>
      withEngines(1, async ([engine]) => {
        const tenants = engine!.tenants;
        await tenants.create({ tenantId: 'gone', name: 'Gone', dataRegion: 'eu-west-1' });
        expect((await tenants.get('gone'))?.dataRegion).toBe('eu-west-1');
        const gone = engine!.forTenant('gone');
        const first = await gone.startRun({ segment: GATED });
        await tenants.suspend('gone');
        expect((await refusal(gone.startRun({ segmentId: 'gated' }))).code).toBe('LLMT_E_TENANT_SUSPENDED');
        await tenants.resume('gone');
        await gone.startRun({ segmentId: 'gated' });
        const removed = await tenants.delete('gone');
        expect(removed.runsErased).toBe(2);
        expect(await engine!.store.getRun('gone', first.runId)).toBeUndefined();
        expect(await tenants.get('gone')).toBeUndefined();
        expect((await refusal(gone.startRun({ segmentId: 'gated' }))).code).toBe('LLMT_E_TENANT_NOT_FOUND');
        const actions = (await engine!.store.listAudit('gone')).map((a) => a.action);
        expect(actions.filter((a) => a === 'run.erased')).toHaveLength(2);
        expect(actions[actions.length - 1]).toBe('tenant.deleted');
      }));
  });
}
