import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, verifyAuditChain } from '@llmteam/core';
import { sweepRetention } from '@llmteam/store-sql';
import { advanceRun, at, sampleSnapshot, sampleStep, startRun } from '@llmteam/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'llmteam-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sweepRetention', () => {
  test('deletes completed runs and snapshots past each tenant’s policy, records it in the audit chain, and keeps the rest', async () => {
    const store = new SqliteStore({ path: join(dir, 'retention.sqlite') });
    await store.init();
    try {
      const day = 86_400;
      await store.putTenant({
        tenantId: 'short',
        name: 'Short',
        tier: 'free',
        limits: {},
        retention: { completedRunsSeconds: day, snapshotsSeconds: 2 * day },
        createdAt: at(),
      });
      await store.putTenant({
        tenantId: 'forever',
        name: 'Forever',
        tier: 'enterprise',
        limits: {},
        createdAt: at(),
      });
      const now = Date.parse(at(10 * day * 1000));
      const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();
      const finish = async (
        tenantId: string,
        runId: string,
        completedAt: string | undefined,
        status: 'completed' | 'running' = 'completed',
      ) => {
        const run = await startRun(store, tenantId, runId, {
          steps: [sampleStep(tenantId, runId, 'a', { outputs: { out: 'x'.repeat(2000) } })],
        });
        await advanceRun(store, { ...run, ...(completedAt ? { completedAt } : {}) }, 1, {
          status,
          snapshots: [sampleSnapshot(run, [], `${runId}-snap`, completedAt ?? ago(0))],
        });
      };
      await finish('short', 'old-done', ago(3 * day));
      await finish('short', 'recent-done', ago(day / 2));
      await finish('short', 'old-running', undefined, 'running');
      await finish('forever', 'old-done', ago(300 * day));
      // An old snapshot of a run that stays: the snapshot policy alone removes it.
      const recent = (await store.getRun('short', 'recent-done'))!;
      await advanceRun(store, recent, 1, {
        snapshots: [sampleSnapshot(recent, [], 'recent-old-snap', ago(3 * day))],
      });

      const result = await sweepRetention(store, { now: new Date(now).toISOString() });
      expect(result.tenants).toEqual([
        {
          tenantId: 'short',
          runs: ['old-done'],
          snapshots: 1,
          snapshotIds: ['old-done-snap', 'recent-old-snap'],
        },
      ]);
      expect(await store.getRun('short', 'old-done')).toBeUndefined();
      expect(await store.getSteps('short', 'old-done')).toEqual([]);
      expect(await store.listEvents('short', 'old-done')).toEqual([]);
      // The recent run stays; its snapshot (1/2 day) is within the 2-day snapshot policy.
      expect((await store.getRun('short', 'recent-done'))?.status).toBe('completed');
      expect(await store.getSnapshot('short', 'recent-done-snap')).toBeDefined();
      expect(await store.getSnapshot('short', 'recent-old-snap')).toBeUndefined();
      expect(await store.getSnapshot('short', 'old-done-snap')).toBeUndefined();
      // A running run is never swept, whatever its age; its fresh snapshot stays too.
      expect((await store.getRun('short', 'old-running'))?.status).toBe('running');
      expect((await store.getRun('forever', 'old-done'))?.status).toBe('completed');
      expect(await store.getSnapshot('forever', 'old-done-snap')).toBeDefined();
      const audit = await store.listAudit('short');
      // The tenant's creation is audited too, before the sweep.
      expect(audit.map((a) => a.action)).toEqual(['tenant.created', 'retention.swept']);
      expect(audit[1].data).toMatchObject({ runs: ['old-done'], snapshots: 1 });
      expect(verifyAuditChain(audit).valid).toBe(true);
      // A second sweep finds nothing and writes no audit entry.
      expect((await sweepRetention(store, { now: new Date(now).toISOString() })).tenants).toEqual([]);
      expect(await store.listAudit('short')).toHaveLength(2);
    } finally {
      await store.close();
    }
  });

  test('refuses a store that is not a SQL store and cannot sweep itself; one that can sweeps itself', async () => {
    const unswept = Object.assign(new MemoryStore(), { sweepRetention: undefined });
    await expect(sweepRetention(unswept, { now: at() })).rejects.toMatchObject({
      code: 'LLMT_E_SQL_INVALID_OPTION',
    });
    await expect(sweepRetention(new MemoryStore(), { now: at() })).resolves.toEqual({ tenants: [] });
  });
});
