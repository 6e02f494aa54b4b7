import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, ManualClock } from '@llmteam/core';
import { SqliteStore, sweepRetention } from '@llmteam/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './test-support.js';

describe('setRetention over GraphQL, applied by the running gateway’s retention sweep', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-retention-'));
  const clock = new ManualClock(Date.parse('2026-06-01T00:00:00Z'));
  let gw: TestGateway;
  let key: string;
  beforeAll(async () => {
    const store = new SqliteStore({ path: join(dir, 'db.sqlite') });
    gw = await startTestGateway({ store, engine: createEngine({ store, clock, pollIntervalMs: 50 }) });
    key = await gw.key('default', ['admin']);
  });
  afterAll(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets, shows and clears a policy; the sweep deletes finished runs past it', async () => {
    const set = await gw.gql(
      key,
      'mutation { setRetention(completedRuns: "P1D", snapshots: "3600") { id retention { completedRunsSeconds snapshotsSeconds } } }',
    );
    expect(set.body.data.setRetention).toEqual({
      id: 'default',
      retention: { completedRunsSeconds: 86_400, snapshotsSeconds: 3600 },
    });
    const run = await gw.engine.startRun({
      segment: {
        segment_id: 'quick',
        steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$' } }],
      },
      input: 1,
    });
    expect((await gw.engine.waitForRun(run.runId)).status).toBe('completed');
    // The running gateway's engine sweeps hourly on its clock: two days on, the run is gone.
    clock.advance(2 * 86_400_000);
    await gw.engine.retention.settled();
    expect(await gw.store.getRun('default', run.runId)).toBeUndefined();
    const swept = (await gw.store.listAudit('default')).filter((a) => a.action === 'retention.swept');
    expect(swept.map((a) => (a.data as { runs: string[] }).runs)).toEqual([[run.runId]]);
    // Nothing is left for an explicit sweep.
    expect((await sweepRetention(gw.store, { now: new Date(clock.now()).toISOString() })).tenants).toEqual(
      [],
    );
    const cleared = await gw.gql(
      key,
      'mutation { setRetention(completedRuns: "never") { retention { completedRunsSeconds snapshotsSeconds } } }',
    );
    expect(cleared.body.data.setRetention.retention).toEqual({
      completedRunsSeconds: null,
      snapshotsSeconds: 3600,
    });
  });

  it('refuses a bad duration naming the field, and a non-admin', async () => {
    const bad = await gw.gql(key, 'mutation { setRetention(snapshots: "soon") { id } }');
    expect(bad.body.errors[0].extensions.llmteamCode).toBe('LLMT_E_INVALID_ARGUMENT');
    expect(bad.body.errors[0].message).toContain('snapshots');
    const viewer = await gw.key('default', ['viewer']);
    const denied = await gw.gql(viewer, 'mutation { setRetention(snapshots: "P1D") { id } }');
    expect(denied.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });
});
