import { createEngine, type Engine, ManualClock, type Store } from '@llmteam/core';
import type { StoreSuiteDescribe, StoreSuiteExpect, StoreSuiteTest } from './store-suite/suite-support.js';

/** Options of {@link retentionScheduleSuite}. */
export interface RetentionScheduleSuiteOptions {
  /** Shown in the suite's name, e.g. `@llmteam/store-sqlite`. */
  name: string;
  /** A fresh, empty store with the `sweepRetention` role; each call a new one. The engine calls `init()`. */
  create(): Promise<Store>;
  test: StoreSuiteTest;
  expect: StoreSuiteExpect;
  describe: StoreSuiteDescribe;
}

const HOUR = 3600_000;
const SEGMENT = {
  segment_id: 'short_lived',
  steps: [{ step_id: 'a', step_type: 'transform', config: { expression: '$' } }],
};

/**
 * A running engine sweeps the store on its `retention.sweepEvery` schedule, on the engine's
 * clock (a `ManualClock` here): a finished run and its snapshot go once the tenant's policy
 * has passed, not before; a tenant's snapshots go once older than its tier's (or its
 * override's) `snapshot_retention_days`, checkpoints never; no schedule (`sweepEvery: 0`)
 * deletes nothing. Through a store
 * that wraps another (a snapshot cache), the swept snapshot is gone from the cache too.
 */
export function retentionScheduleSuite(options: RetentionScheduleSuiteOptions): void {
  const { test, expect, describe } = options;
  const withEngine = async (
    sweepEvery: string | number,
    fn: (engine: Engine, clock: ManualClock) => Promise<void>,
  ) => {
    const store = await options.create();
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const engine = createEngine({ store, clock, retention: { sweepEvery }, audit: { checkpointEvery: 0 } });
    await engine.start();
    try {
      await store.putTenant({
        tenantId: 'default',
        name: 'Default',
        tier: 'free',
        limits: {},
        retention: { completedRunsSeconds: 86_400 },
        createdAt: new Date(clock.now()).toISOString(),
      });
      await fn(engine, clock);
    } finally {
      await engine.stop();
      await store.close();
    }
  };
  const finishedRun = async (engine: Engine) => {
    const run = await engine.startRun({ segment: SEGMENT, input: { n: 1 } });
    expect((await engine.waitForRun(run.runId)).status).toBe('completed');
    const snapshot = await engine.createSnapshot(run.runId);
    // Read once, so a store with a snapshot cache holds a copy.
    expect((await engine.store.getSnapshot('default', snapshot.snapshotId))?.snapshotId).toBe(
      snapshot.snapshotId,
    );
    return { runId: run.runId, snapshotId: snapshot.snapshotId };
  };

  describe(`${options.name}: scheduled retention sweep`, () => {
    test('deletes a finished run and its snapshot on the hourly sweep after the policy passed, not before', () =>
      withEngine('PT1H', async (engine, clock) => {
        const { runId, snapshotId } = await finishedRun(engine);
        clock.advance(23 * HOUR);
        await engine.retention.settled();
        expect((await engine.store.getRun('default', runId))?.status).toBe('completed');
        clock.advance(2 * HOUR);
        await engine.retention.settled();
        expect(await engine.store.getRun('default', runId)).toBeUndefined();
        expect(await engine.store.getSnapshot('default', snapshotId)).toBeUndefined();
        const audit = await engine.store.listAudit('default');
        expect(audit.filter((a) => a.action === 'retention.swept').map((a) => a.data)).toEqual([
          // The record's policy, with snapshots capped by tier free's snapshot_retention_days (7).
          {
            runs: [runId],
            snapshots: 0,
            policy: { completedRunsSeconds: 86_400, snapshotsSeconds: 7 * 86_400 },
          },
        ]);
      }));

    test("sweeps a tenant's snapshots older than its tier's snapshot_retention_days; keeps checkpoints, younger ones and a longer override's", () =>
      withEngine('PT1H', async (engine, clock) => {
        await engine.tenants.create({ tenantId: 'acme', name: 'Acme', tier: 'free' });
        await engine.tenants.create({
          tenantId: 'long',
          name: 'Long',
          tier: 'free',
          limits: { snapshot_retention_days: 30 },
        });
        const snapshotsOf = async (tenantId: string) => {
          const tenant = engine.forTenant(tenantId);
          const run = await tenant.startRun({ segment: SEGMENT, input: { n: 1 } });
          expect((await engine.waitForRun(run.runId, { tenantId })).status).toBe('completed');
          const manual = await tenant.createSnapshot(run.runId);
          const checkpoint = await tenant.createSnapshot(run.runId, { type: 'checkpoint' });
          return { runId: run.runId, manual: manual.snapshotId, checkpoint: checkpoint.snapshotId };
        };
        const acme = await snapshotsOf('acme');
        const long = await snapshotsOf('long');
        const exists = async (tenantId: string, snapshotId: string) =>
          (await engine.store.getSnapshot(tenantId, snapshotId)) !== undefined;

        clock.advance(6 * 24 * HOUR);
        await engine.retention.settled();
        expect(await exists('acme', acme.manual)).toBe(true);
        clock.advance(2 * 24 * HOUR);
        await engine.retention.settled();
        // Day 8: past free's 7 days. The run and its checkpoint stay; so does the override's.
        expect(await exists('acme', acme.manual)).toBe(false);
        expect(await exists('acme', acme.checkpoint)).toBe(true);
        expect((await engine.store.getRun('acme', acme.runId))?.status).toBe('completed');
        expect(await exists('long', long.manual)).toBe(true);
        const audit = await engine.store.listAudit('acme');
        expect(audit.filter((a) => a.action === 'retention.swept').map((a) => a.data)).toEqual([
          { runs: [], snapshots: 1, policy: { snapshotsSeconds: 7 * 86_400 } },
        ]);

        clock.advance(23 * 24 * HOUR);
        await engine.retention.settled();
        expect(await exists('long', long.manual)).toBe(false);
        expect(await exists('long', long.checkpoint)).toBe(true);
      }));

    test('with sweepEvery 0 nothing is swept, however late; sweep() still sweeps on demand', () =>
      withEngine(0, async (engine, clock) => {
        const { runId } = await finishedRun(engine);
        clock.advance(30 * 24 * HOUR);
        await engine.retention.settled();
        expect((await engine.store.getRun('default', runId))?.status).toBe('completed');
        const swept = await engine.retention.sweep();
        expect(swept?.tenants.map((t) => t.runs)).toEqual([[runId]]);
        expect(await engine.store.getRun('default', runId)).toBeUndefined();
      }));
  });
}
