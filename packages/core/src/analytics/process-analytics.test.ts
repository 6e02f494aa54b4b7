import { afterEach, describe, expect, test } from 'vitest';
import {
  createEngine,
  type Engine,
  ManualClock,
  MemoryStore,
  PROCESS_END,
  PROCESS_START,
  processMap,
  processMetrics,
  type SegmentDefinition,
} from '../index.js';

const MIN = 60_000;
const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop({ graceMs: 200 });
});

const review: SegmentDefinition = {
  segment_id: 'articles',
  version: '1.0.0',
  steps: [
    {
      step_id: 'draft',
      step_type: 'transform',
      config: { expression: '{"text": input, "feedback": feedback}' },
      inputs: [{ port_id: 'input' }, { port_id: 'feedback' }],
    },
    {
      step_id: 'review',
      step_type: 'human_task',
      config: {
        task_type: 'review',
        title: 'Review',
        assignee_ref: 'rita',
        max_revisions: 2,
        sla_breach: 'PT1H',
      },
    },
    { step_id: 'publish', step_type: 'transform', config: { expression: '"published " & text' } },
  ],
  edges: [
    { source_step: 'draft', target_step: 'review' },
    { source_step: 'review', source_port: 'approved', target_step: 'publish' },
    {
      source_step: 'review',
      source_port: 'changes_requested',
      target_step: 'draft',
      target_port: 'feedback',
    },
  ],
};

/** Run 1: changes requested after 2 h (SLA breached), approved 30 min later. Run 2: approved after 10 min. Run 3: waiting. */
async function reviewed(): Promise<{ store: MemoryStore; runIds: string[]; clock: ManualClock }> {
  const store = new MemoryStore();
  const clock = new ManualClock(Date.parse('2026-04-01T08:00:00Z'));
  const engine = createEngine({ store, clock });
  engines.push(engine);
  await engine.start();
  await engine.upsertSegment(review);
  const poll = () => (engine as unknown as { poll(): Promise<void> }).poll();
  const open = async (runId: string) =>
    (await engine.listInteractions({ runId, status: ['pending', 'notified', 'escalated'] }))[0];
  const start = async () => {
    const run = await engine.startRun({ segmentId: 'articles', input: 'hello' });
    await engine.waitForRun(run.runId);
    return run.runId;
  };
  const rita = { subject: 'rita' };

  const r1 = await start();
  clock.advance(120 * MIN);
  await poll();
  await engine.respond((await open(r1)).interactionId, {
    action: 'request_changes',
    comment: 'shorter',
    actor: rita,
  });
  await engine.waitForRun(r1, { until: ['waiting_human'] });
  clock.advance(30 * MIN);
  await engine.respond((await open(r1)).interactionId, { action: 'approve', actor: rita });
  await engine.waitForRun(r1, { until: ['completed'] });

  const r2 = await start();
  clock.advance(10 * MIN);
  await engine.respond((await open(r2)).interactionId, { action: 'approve', actor: rita });
  await engine.waitForRun(r2, { until: ['completed'] });

  const r3 = await start();
  return { store, runIds: [r1, r2, r3], clock };
}

describe('process analytics', () => {
  test('the directly-follows map counts step attempts and the edges between them, rework loops included', async () => {
    const { store } = await reviewed();
    const map = await processMap(store, { segmentId: 'articles' });
    expect(map.runs).toBe(3);
    const edges = Object.fromEntries(map.edges.map((e) => [`${e.source}>${e.target}`, e.count]));
    expect(edges).toEqual({
      [`${PROCESS_START}>draft`]: 3,
      'draft>review': 4,
      'review>draft': 1,
      'review>publish': 2,
      [`publish>${PROCESS_END}`]: 2,
    });
    const nodes = Object.fromEntries(map.nodes.map((n) => [n.activity, n]));
    expect(nodes.review).toMatchObject({ stepType: 'human_task', count: 4, failed: 0 });
    expect(nodes.review.duration).toMatchObject({ count: 3, maxMs: 120 * MIN, p50Ms: 30 * MIN });
    expect(nodes[PROCESS_START].count).toBe(3);
    expect(nodes[PROCESS_END].count).toBe(2);
    // The changes requested sent the draft back with no delay: its edge's time is 0.
    expect(map.edges.find((e) => e.source === 'review' && e.target === 'draft')!.duration.maxMs).toBe(0);
    expect(map.edges[0]).toMatchObject({ count: 4, source: 'draft', target: 'review' });
  });

  test('metrics: throughput, waiting per human step, rework loops per review, SLA breach rates', async () => {
    const { store } = await reviewed();
    const metrics = await processMetrics(store, { segmentId: 'articles' });
    expect(metrics.runs).toBe(3);
    expect(metrics.byStatus).toEqual([
      { status: 'completed', count: 2 },
      { status: 'waiting_human', count: 1 },
    ]);
    expect(metrics.throughput).toMatchObject({
      count: 2,
      maxMs: 150 * MIN,
      p50Ms: 10 * MIN,
      meanMs: 80 * MIN,
    });
    expect(metrics.waitingByHumanStep).toEqual([
      {
        stepId: 'review',
        waiting: expect.objectContaining({
          count: 3,
          p50Ms: 30 * MIN,
          maxMs: 120 * MIN,
          meanMs: (160 * MIN) / 3,
        }),
      },
    ]);
    expect(metrics.reworkByReview).toEqual([
      { stepId: 'review', runs: 3, runsWithRework: 1, loops: 1, meanLoopsPerRun: 0.333, maxLoopsPerRun: 1 },
    ]);
    expect(metrics.slaByStep).toEqual([
      { stepId: 'review', requests: 4, warnings: 0, breaches: 1, breachRate: 0.25 },
    ]);
    expect(metrics.slaBreachRate).toBe(0.25);
  });

  test('selects runs by creation time', async () => {
    const { store, runIds } = await reviewed();
    const last = (await store.getRun('default', runIds[2]))!;
    const metrics = await processMetrics(store, { segmentId: 'articles', from: last.createdAt });
    expect(metrics.runs).toBe(1);
    expect((await processMap(store, { segmentId: 'articles', to: '2020-01-01T00:00:00Z' })).nodes).toEqual(
      [],
    );
  });
});
