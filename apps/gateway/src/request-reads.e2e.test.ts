import { MemoryStore, type RunRecord, type SegmentRecord } from '@llmteam/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './test-support.js';

/** A real MemoryStore that counts the run and segment reads made through it. */
class CountingStore extends MemoryStore {
  runReads = 0;
  segmentReads = 0;
  override async getRun(tenantId: string, runId: string): Promise<RunRecord | undefined> {
    this.runReads++;
    return super.getRun(tenantId, runId);
  }
  override async getSegment(
    tenantId: string,
    segmentId: string,
    version?: string,
  ): Promise<SegmentRecord | undefined> {
    this.segmentReads++;
    return super.getSegment(tenantId, segmentId, version);
  }
}

const WIDE = 5;
const SEGMENT = {
  segment_id: 'wide_kyc',
  version: '1.0.0',
  steps: Array.from({ length: WIDE }, (_v, i) => ({
    step_id: `check_${i}`,
    step_type: 'human_task',
    config: {
      task_type: 'approval',
      title: `Check ${i}`,
      assignee_ref: 'group:compliance',
      sealed_fields: ['tax_id'],
    },
  })),
};

describe('reads shared by the fields of one request', () => {
  const store = new CountingStore();
  let t: TestGateway;
  let approver: string;
  beforeAll(async () => {
    t = await startTestGateway({ store });
    const operator = await t.key('default', ['operator']);
    approver = await t.key('default', ['approver'], 'cora', ['compliance']);
    await t.gql(operator, 'mutation($d: JSON!) { upsertSegment(definition: $d) { id } }', { d: SEGMENT });
    for (const n of [1, 2])
      await t.gql(operator, 'mutation($i: JSON) { startRun(segmentId: "wide_kyc", input: $i) { id } }', {
        i: { n, tax_id: `TAX-${n}` },
      });
    for (let i = 0; i < 200 && (await t.engine.listInteractions({})).length < 2 * WIDE; i++)
      await new Promise((r) => setTimeout(r, 25));
    await t.engine.waitForRun((await t.engine.listInteractions({}))[0]?.runId as string);
  });
  afterAll(async () => t?.close());

  it('reads each run and segment version once for a page of their requests, sealed values still withheld', async () => {
    const before = { runs: store.runReads, segments: store.segmentReads };
    const res = await t.gql(approver, '{ inbox(first: 50) { items { runId context } } }');
    const items = res.body.data.inbox.items as Array<{
      runId: string;
      context: { n: number; tax_id: string };
    }>;
    expect(items).toHaveLength(2 * WIDE);
    // The sealed field never reaches the approver.
    expect(JSON.stringify(items)).not.toContain('TAX-');
    expect(new Set(items.map((i) => i.context.n))).toEqual(new Set([1, 2]));
    // Two runs of one segment version: two run reads and one segment read for ten requests.
    expect(store.runReads - before.runs).toBe(2);
    expect(store.segmentReads - before.segments).toBe(1);
  });

  it('reads afresh in the next request', async () => {
    const before = store.runReads;
    await t.gql(approver, '{ inbox(first: 50) { items { context } } }');
    await t.gql(approver, '{ inbox(first: 50) { items { context } } }');
    expect(store.runReads - before).toBe(4);
  });

  it('pages runs(waitingOn:) in the order of their most urgent request, reading each run once', async () => {
    const before = store.runReads;
    const res = await t.gql(
      approver,
      '{ runs(waitingOn: "group:compliance", first: 1) { edges { node { id } cursor } pageInfo { hasNextPage endCursor } } }',
    );
    const page = res.body.data.runs;
    expect(page.edges).toHaveLength(1);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = await t.gql(
      approver,
      'query($a: String) { runs(waitingOn: "group:compliance", first: 5, after: $a) { edges { node { id } } pageInfo { hasNextPage } } }',
      { a: page.pageInfo.endCursor },
    );
    expect(next.body.data.runs.edges).toHaveLength(1);
    expect(next.body.data.runs.edges[0].node.id).not.toBe(page.edges[0].node.id);
    expect(next.body.data.runs.pageInfo.hasNextPage).toBe(false);
    expect(store.runReads - before).toBe(2);
  });
});
