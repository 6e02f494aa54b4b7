import {
  type Commit,
  type CommitResult,
  ConcurrencyError,
  type Store,
  verifyAuditChain,
} from '@llmteam/core';
import {
  at,
  sampleAudit,
  sampleEvent,
  sampleInteraction,
  sampleRun,
  sampleStep,
  sampleTimer,
} from './store-fixtures.js';
import type { StoreSuiteDescribe, StoreSuiteExpect, StoreSuiteTest } from './store-suite/suite-support.js';

/** A store that can import many new runs in one transaction (the SQL stores' `importRuns`). */
export interface ImportingStore extends Store {
  importRuns(commits: readonly Commit[]): Promise<CommitResult>;
}

/** Options of {@link importRunsSuite}. */
export interface ImportRunsSuiteOptions {
  /** Shown in the suite's name, e.g. `@llmteam/store-sqlite`. */
  name: string;
  /** A fresh, empty store over a real database; each call a new one. The suite calls `init()`. */
  create(): Promise<ImportingStore>;
  test: StoreSuiteTest;
  expect: StoreSuiteExpect;
  describe: StoreSuiteDescribe;
}

/** A commit that creates run `n` waiting at a request (SLA breach `n` seconds on), as the engine writes one. */
export function sampleWaitingRunCommit(tenantId: string, n: number): Commit {
  const runId = `run-${n}`;
  return {
    tenantId,
    runId,
    expectedVersion: 0,
    run: sampleRun(tenantId, runId, { status: 'waiting_human', lastSeq: 2 }),
    steps: [sampleStep(tenantId, runId, 'ask', { status: 'waiting', outputs: { big: 'x'.repeat(600) } })],
    events: [
      sampleEvent(tenantId, runId, 1, 'run.started'),
      sampleEvent(tenantId, runId, 2, 'step.started', 'ask'),
    ],
    interactions: [sampleInteraction(tenantId, runId, `int-${n}`, { slaBreachAt: at(1000 * n) })],
    timers: { add: [sampleTimer(tenantId, runId, `tm-${n}`, at(1000 * n))] },
    audit: [sampleAudit(tenantId, 'run.started', at(n), runId)],
  };
}

const TENANT = 'importer';

/** What `promise` rejects with (undefined when it resolves). */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

async function contents(store: Store, n: number) {
  const runs = [];
  for (let i = 0; i < n; i++) {
    const runId = `run-${i}`;
    runs.push({
      run: await store.getRun(TENANT, runId),
      steps: await store.getSteps(TENANT, runId),
      events: await store.listEvents(TENANT, runId),
      timers: await store.listTimers(TENANT, runId),
    });
  }
  const inbox = await store.listInteractions(TENANT, { status: ['pending'], limit: 5 });
  const audit = (await store.listAudit(TENANT)).map(({ seq, action, runId, hash }) => ({
    seq,
    action,
    runId,
    hash,
  }));
  return { runs, inbox, audit };
}

/**
 * A bulk import writes exactly what committing the runs one by one writes (runs, steps,
 * events, timers, the SLA-ordered inbox, the audit chain), and all of it or nothing.
 */
export function importRunsSuite(options: ImportRunsSuiteOptions): void {
  const { test, expect, describe } = options;
  const open = async () => {
    const store = await options.create();
    await store.init();
    return store;
  };
  describe(`${options.name}: importRuns`, () => {
    test('writes in one transaction exactly the rows that committing each run writes', async () => {
      const [one, bulk] = [await open(), await open()];
      try {
        const commits = Array.from({ length: 450 }, (_, i) => sampleWaitingRunCommit(TENANT, i));
        for (const c of commits) await one.commit(c);
        const { audit } = await bulk.importRuns(commits);
        expect(audit.map((a) => a.seq)).toEqual(commits.map((_, i) => i + 1));
        expect(await contents(bulk, commits.length)).toEqual(await contents(one, commits.length));
        // A run committed the usual way chains on after the imported ones.
        await bulk.commit(sampleWaitingRunCommit(TENANT, 450));
        expect(verifyAuditChain(await bulk.listAudit(TENANT)).valid).toBe(true);
      } finally {
        await Promise.all([one.close?.(), bulk.close?.()]);
      }
    });

    test('refuses a batch with a run that exists, or a commit that updates one, writing none of it', async () => {
      const store = await open();
      try {
        await store.commit(sampleWaitingRunCommit(TENANT, 1));
        const taken = await failure(
          store.importRuns([sampleWaitingRunCommit(TENANT, 0), sampleWaitingRunCommit(TENANT, 1)]),
        );
        expect(taken instanceof ConcurrencyError && taken.code).toBe('LLMT_E_CONFLICT');
        expect(await store.getRun(TENANT, 'run-0')).toBeUndefined();
        const fresh = sampleWaitingRunCommit(TENANT, 2);
        const update = { ...fresh, expectedVersion: 1, run: { ...fresh.run, version: 2 } };
        expect(/expectedVersion 0/.test(String(await failure(store.importRuns([update]))))).toBe(true);
      } finally {
        await store.close?.();
      }
    });
  });
}
