import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLlmteamClient } from '@llmteam/client';
import { SqliteStore } from '@llmteam/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDER_FLOW, startTestGateway, type TestGateway } from './test-support.js';

const SMALL = { customer: 'small', items: [{ sku: 'widget', qty: 2, unit_price: 10 }] };
const BIG = { customer: 'big', items: [{ sku: 'gadget', qty: 30, unit_price: 50 }] };

describe('event queries and process analytics over GraphQL (SQLite store)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-gw-events-'));
  let t: TestGateway;
  let operator: string;
  let other: string;
  const runIds: string[] = [];

  beforeAll(async () => {
    const store = new SqliteStore({ path: join(dir, 'events.sqlite') });
    t = await startTestGateway({ store });
    operator = await t.key('default', ['operator']);
    other = await t.key('acme', ['admin']);
    const up = await t.gql(operator, 'mutation ($d: JSON!) { upsertSegment(definition: $d) { id } }', {
      d: ORDER_FLOW,
    });
    expect(up.body.errors).toBeUndefined();
    for (const input of [SMALL, BIG]) {
      const res = await t.gql(
        operator,
        'mutation ($i: JSON) { startRun(segmentId: "order_flow", input: $i) { id } }',
        {
          i: input,
        },
      );
      const id = res.body.data.startRun.id as string;
      runIds.push(id);
      await t.engine.waitForRun(id);
    }
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const EVENTS = `query ($types: [String!], $runId: ID, $stepId: String, $segmentId: ID, $from: DateTime, $to: DateTime, $first: Int, $after: String) {
    events(types: $types, runId: $runId, stepId: $stepId, segmentId: $segmentId, from: $from, to: $to, first: $first, after: $after) {
      edges { cursor node { runId seq type stepId timestamp } }
      pageInfo { hasNextPage endCursor }
    } }`;

  it('filters the tenant’s events by type, step, run, segment and time, in pages', async () => {
    const started = await t.gql(operator, EVENTS, { types: ['step.started'], stepId: 'approve' });
    expect(started.body.errors).toBeUndefined();
    expect(started.body.data.events.edges.map((e: any) => e.node.runId)).toEqual([runIds[1]]);

    const completed = await t.gql(operator, EVENTS, {
      types: ['run.completed', 'run.waiting'],
      segmentId: 'order_flow',
    });
    expect(completed.body.data.events.edges.map((e: any) => `${e.node.type}`)).toEqual([
      'run.completed',
      'run.waiting',
    ]);

    const all = await t.gql(operator, EVENTS, { runId: runIds[0], first: 100 });
    const seqs = all.body.data.events.edges.map((e: any) => e.node.seq);
    expect(seqs).toEqual([...seqs].sort((a: number, b: number) => a - b));
    expect(seqs.length).toBeGreaterThan(5);

    const walked: number[] = [];
    let after: string | undefined;
    for (let i = 0; i < 50; i++) {
      const page = await t.gql(operator, EVENTS, { runId: runIds[0], first: 2, after });
      walked.push(...page.body.data.events.edges.map((e: any) => e.node.seq));
      if (!page.body.data.events.pageInfo.hasNextPage) break;
      after = page.body.data.events.pageInfo.endCursor;
    }
    expect(walked).toEqual(seqs);

    const first = all.body.data.events.edges[0].node.timestamp as string;
    const none = await t.gql(operator, EVENTS, {
      runId: runIds[0],
      to: new Date(Date.parse(first) - 1).toISOString(),
    });
    expect(none.body.data.events.edges).toEqual([]);
  });

  it('never crosses tenants, and refuses a bad page size or cursor with the field named', async () => {
    const foreign = await t.gql(other, EVENTS, {});
    expect(foreign.body.data.events.edges).toEqual([]);
    const big = await t.gql(operator, EVENTS, { first: 101 });
    expect(big.body.errors[0]).toMatchObject({
      message: expect.stringContaining('first must be an integer from 1 to 100'),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const cursor = await t.gql(operator, EVENTS, { after: 'bogus' });
    expect(cursor.body.errors[0]).toMatchObject({
      message: expect.stringContaining('after is not a cursor'),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('Run.events(types:) returns only those types, in seq order', async () => {
    const res = await t.gql(
      operator,
      'query ($id: ID!) { run(id: $id) { events(types: ["step.completed"]) { seq type stepId } all: events { seq } } }',
      { id: runIds[1] },
    );
    expect(res.body.errors).toBeUndefined();
    const events = res.body.data.run.events as Array<{ seq: number; type: string; stepId: string }>;
    expect(events.map((e) => e.stepId)).toEqual(['check_inventory', 'price', 'needs_approval']);
    expect(events.every((e) => e.type === 'step.completed')).toBe(true);
    expect(res.body.data.run.all.length).toBeGreaterThan(events.length);
    const limited = await t.gql(
      operator,
      'query ($id: ID!) { run(id: $id) { events(types: ["step.completed"], limit: 1, afterSeq: 3) { stepId } } }',
      { id: runIds[1] },
    );
    expect(limited.body.data.run.events).toHaveLength(1);
  });

  it('processMap and processMetrics describe the segment’s runs', async () => {
    const res = await t.gql(
      operator,
      `{ processMap(segmentId: "order_flow") { runs nodes { activity stepType count } edges { source target count duration { maxMs } } }
         processMetrics(segmentId: "order_flow") { runs byStatus { status count } throughput { count } slaBreachRate } }`,
    );
    expect(res.body.errors).toBeUndefined();
    const { processMap, processMetrics } = res.body.data;
    expect(processMap.runs).toBe(2);
    expect(processMap.nodes.find((n: any) => n.activity === 'approve')).toEqual({
      activity: 'approve',
      stepType: 'human_task',
      count: 1,
    });
    expect(processMap.edges).toContainEqual({
      source: 'check_inventory',
      target: 'price',
      count: 2,
      duration: { maxMs: expect.any(Number) },
    });
    expect(processMetrics).toEqual({
      runs: 2,
      byStatus: expect.arrayContaining([
        { status: 'COMPLETED', count: 1 },
        { status: 'WAITING_HUMAN', count: 1 },
      ]),
      throughput: { count: 1 },
      slaBreachRate: 0,
    });
    const foreign = await t.gql(other, '{ processMetrics(segmentId: "order_flow") { runs } }');
    expect(foreign.body.data.processMetrics.runs).toBe(0);
  });

  it('the typed client reads the process map with every field its type names', async () => {
    const client = createLlmteamClient({ url: t.gateway.url, apiKey: operator });
    const map = await client.processMap('order_flow', { from: '2000-01-01T00:00:00Z' });
    expect(map.runs).toBe(2);
    expect(map.nodes[0]).toMatchObject({ activity: '__start__', stepType: null, count: 2, failed: 0 });
    const edge = map.edges.find((e) => e.source === 'check_inventory' && e.target === 'price');
    expect(edge?.count).toBe(2);
    expect(Object.keys(edge!.duration).sort()).toEqual([
      'count',
      'maxMs',
      'meanMs',
      'p50Ms',
      'p90Ms',
      'p95Ms',
      'p99Ms',
    ]);
    expect((await client.processMap('order_flow', { to: '2000-01-01T00:00:00Z' })).runs).toBe(0);
    await client.close();
  });
});
