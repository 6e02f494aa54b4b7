import { isLlmteamError, type Store } from '@llmteam/core';

/** The subset of a runner's `test` the store suite uses (vitest and jest style). */
export type StoreSuiteTest = (name: string, fn: () => Promise<void>, timeout?: number) => void;

/** The subset of a runner's `describe` the store suite uses. */
export type StoreSuiteDescribe = (name: string, fn: () => void) => void;

/** The matchers the store suite uses (vitest and jest style). */
export interface StoreSuiteMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toHaveLength(expected: number): void;
  toBeUndefined(): void;
  toBeGreaterThan(expected: number): void;
  not: StoreSuiteMatchers;
}

/** A runner's `expect`. */
export type StoreSuiteExpect = (actual: unknown, message?: string) => StoreSuiteMatchers;

/** Options of {@link storeConformanceSuite}. */
export interface StoreConformanceOptions {
  /** Shown in the suite's name, e.g. `@llmteam/store-sqlite`. */
  name: string;
  /** Makes a fresh, empty store for one test (the suite calls `init()`). */
  create(): Promise<Store>;
  /** Disposes of a store made by `create` or `reopen`. @default store.close() */
  destroy?(store: Store): Promise<void>;
  /**
   * Closes `store` and opens a new instance over the same data, for the replay test.
   * Leave it out for stores whose data does not outlive the instance.
   */
  reopen?(store: Store): Promise<Store>;
  /**
   * Opens a second instance over the same data, as another process would, for the tests
   * of `capabilities.multiProcess` and `capabilities.crossProcessEvents`. Leave it out to
   * skip them.
   */
  createPeer?(store: Store): Promise<Store>;
  /** The runner's `test`. */
  test: StoreSuiteTest;
  /** The runner's `expect`. */
  expect: StoreSuiteExpect;
  /** The runner's `describe`. */
  describe: StoreSuiteDescribe;
  /** Concurrent writers in the gapless-seq test. @default 8 */
  concurrency?: number;
}

/** Helpers every role suite shares. */
export interface StoreSuiteSupport {
  /** Runs `fn` with a fresh, initialized store, disposed of afterwards. */
  withStore(fn: (store: Store) => Promise<void>): Promise<void>;
  /** Expects `promise` to reject with `LLMT_E_CONFLICT`. */
  expectConflict(promise: Promise<unknown>): Promise<void>;
  /** Everything a store holds about one run, to prove a failed commit left nothing. */
  dump(store: Store, tenantId: string, runId: string): Promise<unknown>;
  /**
   * Runs `fn` with a store and a peer over the same data when the store declares
   * `capability`; absent without `createPeer`.
   */
  withPeer?(
    capability: 'multiProcess' | 'crossProcessEvents',
    fn: (a: Store, b: Store) => Promise<void>,
  ): Promise<void>;
}

/** The shared helpers of the role suites, over one set of options. */
export function storeSuiteSupport(options: StoreConformanceOptions): StoreSuiteSupport {
  const { expect } = options;

  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await options.create();
    await store.init();
    try {
      await fn(store);
    } finally {
      await (options.destroy ? options.destroy(store) : store.close());
    }
  }

  async function expectConflict(promise: Promise<unknown>): Promise<void> {
    let caught: unknown;
    try {
      await promise;
    } catch (error) {
      caught = error;
    }
    expect(
      isLlmteamError(caught) ? caught.code : caught === undefined ? 'no error' : String(caught),
      'expected a ConcurrencyError',
    ).toBe('LLMT_E_CONFLICT');
  }

  async function dump(store: Store, tenantId: string, runId: string): Promise<unknown> {
    const steps = await store.getSteps(tenantId, runId);
    return {
      run: await store.getRun(tenantId, runId),
      steps: steps.sort((a, b) => (a.stepId < b.stepId ? -1 : 1)),
      events: await store.listEvents(tenantId, runId),
      timers: await store.listTimers(tenantId, runId),
      interactions: await store.listInteractions(tenantId, { runId }),
      snapshots: await store.listSnapshots(tenantId, runId),
      audit: await store.listAudit(tenantId),
    };
  }

  const createPeer = options.createPeer;
  const withPeer = createPeer
    ? (capability: 'multiProcess' | 'crossProcessEvents', fn: (a: Store, b: Store) => Promise<void>) =>
        withStore(async (store) => {
          if (!store.capabilities[capability]) return;
          const peer = await createPeer(store);
          await peer.init();
          try {
            await fn(store, peer);
          } finally {
            await peer.close();
          }
        })
    : undefined;

  return { withStore, expectConflict, dump, withPeer };
}
