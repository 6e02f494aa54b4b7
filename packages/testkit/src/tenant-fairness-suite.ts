import {
  createEngine,
  defineStepType,
  type Engine,
  isLlmteamError,
  type SegmentDefinition,
  type StepTypeDefinition,
  type Store,
} from '@llmteam/core';
import { eventually } from './eventually.js';
import type { StoreSuiteDescribe, StoreSuiteExpect, StoreSuiteTest } from './store-suite/suite-support.js';

/** Options of {@link tenantFairnessSuite}. */
export interface TenantFairnessSuiteOptions {
  /** Shown in the suite's name, e.g. `@llmteam/store-sqlite`. */
  name: string;
  /** A fresh, empty store over a real database (the suite calls `init()`). */
  create(): Promise<Store>;
  /** A second instance over the same data, as another process would open it (or the same store, for one that lives in memory). */
  createPeer(store: Store): Promise<Store>;
  /** Disposes of a store made by `create`. @default store.close() */
  destroy?(store: Store): Promise<void>;
  /** Runs the noisy tenant starts, all at once (its `concurrent_runs` limit). @default 500 */
  noisyRuns?: number;
  test: StoreSuiteTest;
  expect: StoreSuiteExpect;
  describe: StoreSuiteDescribe;
}

/** A handler that started and holds its slot until the suite lets it finish. */
interface OpenGate {
  tenantId: string;
  key: string;
  release(): void;
}

/** Step handlers that each wait until released: the suite decides when every step ends. */
class Gates {
  readonly open: OpenGate[] = [];
  /** Every handler start, in order. */
  readonly started: Array<{ tenantId: string; key: string }> = [];
  readonly type: StepTypeDefinition = defineStepType({
    type: 'fair_gate',
    displayName: 'Gate',
    category: 'UTILITY',
    configSchema: {},
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    handler: (ctx) => {
      this.started.push({ tenantId: ctx.tenantId, key: ctx.idempotencyKey });
      return new Promise((resolve, reject) => {
        const gate: OpenGate = {
          tenantId: ctx.tenantId,
          key: ctx.idempotencyKey,
          release: () => {
            this.drop(gate);
            resolve({ output: ctx.input });
          },
        };
        ctx.signal.addEventListener('abort', () => {
          this.drop(gate);
          reject(ctx.signal.reason);
        });
        this.open.push(gate);
      });
    },
  });

  startsOf(tenantId: string): string[] {
    return this.started.filter((s) => s.tenantId === tenantId).map((s) => s.key);
  }

  of(tenantId: string): OpenGate[] {
    return this.open.filter((g) => g.tenantId === tenantId);
  }

  private drop(gate: OpenGate): void {
    const i = this.open.indexOf(gate);
    if (i >= 0) this.open.splice(i, 1);
  }
}

/** `length` gate steps in a row. */
function gateChain(segmentId: string, length: number): SegmentDefinition {
  const steps = Array.from({ length }, (_, i) => ({ step_id: `g${i}`, step_type: 'fair_gate', config: {} }));
  const edges = steps.slice(1).map((s, i) => ({ source_step: `g${i}`, target_step: s.step_id }));
  return { segment_id: segmentId, version: '1.0.0', steps, edges };
}

/** The store with a count of calls by method name. */
function countCalls(store: Store, calls: Map<string, number>): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      return (...args: unknown[]) => {
        calls.set(key, (calls.get(key) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** The code of a rejection, or `no error`. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isLlmteamError(error) ? error.code : String(error);
  }
  return 'no error';
}

/** Polls of the work queue: per engine and interval, whatever the number of runs. */
const POLL_CALLS = new Set(['claimDueTimers', 'claimRuns', 'nextTimerDue']);

/**
 * Per-tenant fairness on a real store: a noisy tenant at its `concurrent_runs` limit, with
 * every step slot of the engine taken and hundreds of steps waiting, never delays a quiet
 * tenant's steps (the quiet run finishes with no noisy step ending, the same events as
 * alone), holds no more than its share while the quiet tenant works, and its waiting steps
 * cost no store call; steps still waiting when an engine stops run once, with their
 * attempt, on the engine that takes the runs over. Each step's end is decided by the suite,
 * so nothing here depends on timing.
 */
export function tenantFairnessSuite(options: TenantFairnessSuiteOptions): void {
  const { test, expect, describe } = options;
  const noisyRuns = options.noisyRuns ?? 500;
  const withStore = async (fn: (store: Store) => Promise<void>) => {
    const store = await options.create();
    await store.init();
    try {
      await fn(store);
    } finally {
      await (options.destroy ? options.destroy(store) : store.close());
    }
  };
  const engineOn = (store: Store, gates: Gates, maxConcurrentSteps: number): Engine =>
    createEngine({
      store,
      stepTypes: [gates.type],
      maxConcurrentSteps,
      pollIntervalMs: 20,
      // No lease renewal within a test: store calls made while steps wait are the polls' only.
      leaseMs: 600_000,
      tenancy: { implicitTenants: true },
      audit: { checkpointEvery: 0 },
    });

  describe(`${options.name}: per-tenant fairness`, () => {
    test(
      "a noisy tenant at its concurrency limit never delays a quiet tenant's steps",
      () =>
        withStore(async (inner) => {
          const calls = new Map<string, number>();
          const store = countCalls(inner, calls);
          const gates = new Gates();
          const engine = engineOn(store, gates, 4);
          await engine.start();
          try {
            const quiet = engine.forTenant('quiet');
            await quiet.upsertSegment(gateChain('work', 3));
            // The quiet tenant alone: each of its steps ends when released, one after another.
            const runQuiet = async (): Promise<string[]> => {
              const run = await quiet.startRun({ segmentId: 'work' });
              for (let i = 0; i < 3; i++) {
                const gate = await eventually(
                  () => gates.of('quiet').find((g) => g.key === `${run.runId}:g${i}:1`),
                  `quiet step g${i} to start`,
                );
                gate.release();
              }
              await engine.waitForRun(run.runId, { tenantId: 'quiet', until: ['completed', 'failed'] });
              return (await quiet.listEvents(run.runId)).map((e) => `${e.type}:${e.step_id ?? ''}`);
            };
            const alone = await runQuiet();

            await engine.tenants.create({
              tenantId: 'noisy',
              name: 'Noisy',
              tier: 'enterprise',
              limits: { concurrent_runs: noisyRuns },
            });
            const noisy = engine.forTenant('noisy');
            await noisy.upsertSegment(gateChain('work', 2));
            for (let i = 0; i < noisyRuns; i++) await noisy.startRun({ segmentId: 'work' });
            expect(await refusal(noisy.startRun({ segmentId: 'work' }))).toBe('LLMT_E_LIMIT_EXCEEDED');
            await eventually(
              () => (engine.slots.usage().noisy?.waiting === noisyRuns - 4 ? true : undefined),
              'the noisy steps to fill every slot and wait',
            );
            expect(gates.of('noisy')).toHaveLength(4);

            // Waiting costs nothing: over several poll intervals, no commit, read or lease call.
            calls.clear();
            await new Promise((r) => setTimeout(r, 200));
            const perRun = [...calls].filter(([name]) => !POLL_CALLS.has(name));
            expect(perRun).toEqual([]);

            // No noisy step ends while the quiet run goes from start to end: none is waited for.
            const noisyStarts = gates.startsOf('noisy').length;
            expect(await runQuiet()).toEqual(alone);
            expect(gates.startsOf('noisy')).toHaveLength(noisyStarts);
            expect(gates.of('noisy')).toHaveLength(4);

            // While the quiet tenant works, a noisy step that ends gives its slot up for good.
            const quietRun = await quiet.startRun({ segmentId: 'work' });
            await eventually(() => gates.of('quiet')[0], 'a quiet step to start');
            for (let i = 0; i < 6; i++) {
              gates.of('noisy')[0]!.release();
              // A slot is given back once its step's outcome is committed, then handed on.
              await eventually(
                () =>
                  engine.slots.usage().noisy?.running === 3 && gates.of('noisy').length === 3
                    ? true
                    : undefined,
                'the noisy tenant to run three steps',
              );
            }
            expect(engine.slots.usage().quiet).toEqual({ running: 1, waiting: 0 });
            for (let i = 0; i < 3; i++) {
              const gate = await eventually(
                () => gates.of('quiet').find((g) => g.key === `${quietRun.runId}:g${i}:1`),
                `quiet step g${i} to start`,
              );
              gate.release();
            }
            await engine.waitForRun(quietRun.runId, { tenantId: 'quiet', until: ['completed'] });
            await eventually(
              () => (gates.of('noisy').length === 4 ? true : undefined),
              'the noisy tenant to get every slot back',
            );

            // Every noisy step runs, once each, with its first attempt.
            while (gates.startsOf('noisy').length < noisyRuns * 2 || gates.open.length) {
              const open = await eventually(() => gates.open[0], 'a noisy step to start');
              open.release();
            }
            const keys = gates.startsOf('noisy');
            expect(new Set(keys).size).toBe(noisyRuns * 2);
            expect(keys.filter((k) => k.endsWith(':1'))).toHaveLength(noisyRuns * 2);
            await eventually(
              () => (Object.keys(engine.slots.usage()).length === 0 ? true : undefined),
              'every slot to be given back',
            );
            // The last outcomes commit after their slots are given back.
            const completed = async () => {
              let count = 0;
              let after: string | undefined;
              do {
                const page = await store.listRuns('noisy', { status: 'completed', limit: 200, after });
                count += page.items.length;
                after = page.nextCursor;
              } while (after);
              return count === noisyRuns ? count : undefined;
            };
            expect(await eventually(completed, 'every noisy run to complete')).toBe(noisyRuns);
          } finally {
            for (const g of [...gates.open]) g.release();
            await engine.stop();
          }
        }),
      120_000,
    );

    test(
      'steps still waiting for a slot when an engine stops run once, with their attempt, where the runs go next',
      () =>
        withStore(async (store) => {
          const gates = new Gates();
          const first = engineOn(store, gates, 2);
          await first.start();
          const tenant = first.forTenant('busy');
          await tenant.upsertSegment(gateChain('one', 1));
          const runs = [];
          for (let i = 0; i < 6; i++) runs.push(await tenant.startRun({ segmentId: 'one' }));
          await eventually(
            () => (first.slots.usage().busy?.waiting === 4 ? true : undefined),
            'four steps to wait',
          );
          const stopped = first.stop({ graceMs: 10_000 });
          for (const g of [...gates.open]) g.release();
          await stopped;
          expect(gates.started).toHaveLength(2);

          const peer = await options.createPeer(store);
          if (peer !== store) await peer.init();
          const second = engineOn(peer, gates, 2);
          await second.start();
          try {
            while (gates.started.length < 6 || gates.open.length) {
              const open = await eventually(() => gates.open[0], 'a step to start on the second engine');
              open.release();
            }
            for (const run of runs) {
              const done = await second.waitForRun(run.runId, { tenantId: 'busy', until: ['completed'] });
              expect(done.status).toBe('completed');
            }
            expect(gates.startsOf('busy').sort()).toEqual(runs.map((r) => `${r.runId}:g0:1`).sort());
          } finally {
            await second.stop();
            if (peer !== store) await peer.close();
          }
        }),
      60_000,
    );
  });
}
