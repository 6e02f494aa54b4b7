import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLlmteamClient } from '@llmteam/client';
import { SqliteStore } from '@llmteam/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ORDER_FLOW, startTestGateway, type TestGateway } from './test-support.js';

const BIG = { customer: 'big', items: [{ sku: 'gadget', qty: 30, unit_price: 50 }] };
const SNAPSHOT_FIELDS = 'id runId segmentId reason label checksum createdAt';

describe('snapshots over GraphQL (SQLite store)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-snapshots-'));
  let gw: TestGateway;
  let operator: string;
  let viewer: string;
  beforeAll(async () => {
    gw = await startTestGateway({ store: new SqliteStore({ path: join(dir, 'db.sqlite') }) });
    operator = await gw.key('default', ['operator'], 'ops@example.com');
    viewer = await gw.key('default', ['viewer']);
    const up = await gw.gql(operator, 'mutation ($d: JSON!) { upsertSegment(definition: $d) { id } }', {
      d: ORDER_FLOW,
    });
    expect(up.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const startRun = async () => {
    const res = await gw.gql(
      operator,
      'mutation ($i: JSON) { startRun(segmentId: "order_flow", input: $i) { id } }',
      {
        i: BIG,
      },
    );
    const id = res.body.data.startRun.id as string;
    await gw.engine.waitForRun(id);
    return id;
  };
  const snapshot = async (runId: string, extra = '') => {
    const res = await gw.gql(
      operator,
      `mutation ($r: ID!) { createSnapshot(runId: $r${extra}) { ${SNAPSHOT_FIELDS} } }`,
      { r: runId },
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data.createSnapshot;
  };

  it('takes a labelled checkpoint, lists a segment’s snapshots newest first, and reads the latest', async () => {
    const first = await startRun();
    const second = await startRun();
    const manual = await snapshot(first);
    const checkpoint = await snapshot(first, ', type: CHECKPOINT, label: "before-migration"');
    const latest = await snapshot(second);
    expect(checkpoint).toMatchObject({
      reason: 'CHECKPOINT',
      label: 'before-migration',
      segmentId: 'order_flow',
    });
    expect(manual).toMatchObject({ reason: 'MANUAL', label: null });
    const page = await gw.gql(
      viewer,
      `{ snapshots(segmentId: "order_flow", first: 2) { edges { node { id } cursor } pageInfo { hasNextPage endCursor } } }`,
    );
    expect(page.body.data.snapshots.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([
      latest.id,
      checkpoint.id,
    ]);
    expect(page.body.data.snapshots.pageInfo.hasNextPage).toBe(true);
    const rest = await gw.gql(
      viewer,
      'query ($a: String) { snapshots(segmentId: "order_flow", first: 2, after: $a) { edges { node { id } } pageInfo { hasNextPage } } }',
      { a: page.body.data.snapshots.pageInfo.endCursor },
    );
    expect(rest.body.data.snapshots).toEqual({
      edges: [{ node: { id: manual.id } }],
      pageInfo: { hasNextPage: false },
    });
    const latestOfRun = await gw.gql(
      viewer,
      `query ($r: ID) { latestSnapshot(runId: $r, reason: CHECKPOINT) { id label } }`,
      { r: first },
    );
    expect(latestOfRun.body.data.latestSnapshot).toEqual({ id: checkpoint.id, label: 'before-migration' });
  });

  it('restores a run from a snapshot with restoreSnapshot, and deletes a snapshot, audited', async () => {
    const runId = await startRun();
    const snap = await snapshot(runId, ', type: CHECKPOINT, label: "waiting"');
    await gw.gql(operator, 'mutation ($r: ID!) { cancelRun(id: $r) { id } }', { r: runId });
    const restored = await gw.gql(
      operator,
      'mutation ($s: ID!) { restoreSnapshot(snapshotId: $s) { id status } }',
      {
        s: snap.id,
      },
    );
    expect(restored.body.errors).toBeUndefined();
    expect(restored.body.data.restoreSnapshot.id).toBe(runId);
    expect((await gw.engine.waitForRun(runId)).status).toBe('waiting_human');

    const refused = await gw.gql(viewer, 'mutation ($s: ID!) { deleteSnapshot(id: $s) { id } }', {
      s: snap.id,
    });
    expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const deleted = await gw.gql(operator, 'mutation ($s: ID!) { deleteSnapshot(id: $s) { id label } }', {
      s: snap.id,
    });
    expect(deleted.body.data.deleteSnapshot).toEqual({ id: snap.id, label: 'waiting' });
    const again = await gw.gql(operator, 'mutation ($s: ID!) { deleteSnapshot(id: $s) { id } }', {
      s: snap.id,
    });
    expect(again.body.errors[0].extensions).toMatchObject({
      code: 'NOT_FOUND',
      llmteamCode: 'LLMT_E_SNAPSHOT_NOT_FOUND',
    });
    const audit = await gw.gql(operator, '{ auditEvents { action actor target } }');
    expect(audit.body.data.auditEvents).toContainEqual({
      action: 'snapshot.deleted',
      actor: 'ops@example.com',
      target: snap.id,
    });
  });

  it('refuses a bad label or page size with BAD_USER_INPUT naming the field', async () => {
    const runId = await startRun();
    const label = await gw.gql(
      operator,
      `mutation ($r: ID!) { createSnapshot(runId: $r, label: "") { id } }`,
      {
        r: runId,
      },
    );
    expect(label.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(label.body.errors[0].message).toContain('label "" is not a label');
    const size = await gw.gql(viewer, '{ snapshots(first: 0) { edges { cursor } } }');
    expect(size.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(size.body.errors[0].message).toContain('first must be an integer from 1 to 100');
  });

  it('works the same through @llmteam/client', async () => {
    const client = createLlmteamClient({ url: gw.gateway.url, apiKey: operator, webSocketImpl: WebSocket });
    try {
      const runId = await startRun();
      const snap = await client.createSnapshot(runId, { type: 'CHECKPOINT', label: 'client' });
      expect(snap).toMatchObject({ runId, segmentId: 'order_flow', reason: 'CHECKPOINT', label: 'client' });
      const page = await client.snapshots({ runId });
      expect(page).toEqual({ snapshots: [snap], hasNextPage: false, endCursor: expect.any(String) });
      expect((await client.restoreSnapshot(snap.id)).id).toBe(runId);
      expect((await client.deleteSnapshot(snap.id)).id).toBe(snap.id);
      expect((await client.snapshots({ runId, reason: 'CHECKPOINT' })).snapshots).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
