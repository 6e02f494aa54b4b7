import { readdirSync, readFileSync } from 'node:fs';
import { createEngine, type Engine, MemoryStore, StepCatalog, validateSegment } from '@llmteam/core';
import { describe, expect, test } from 'vitest';

const dir = new URL('./segments/', import.meta.url);
const segments = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, definition: JSON.parse(readFileSync(new URL(f, dir), 'utf8')) }));

async function answerAll(
  engine: Engine,
  runId: string,
  action: 'approve' | 'request_changes',
  comment?: string,
) {
  for (const i of await engine.listInteractions({ runId, status: ['pending', 'notified'] })) {
    await engine.respond(i.interactionId, { action, comment });
  }
}

describe('example segments', () => {
  test.each(segments)('$file is valid', ({ definition }) => {
    expect(validateSegment(definition, new StepCatalog()).problems).toEqual([]);
  });

  test('order flow: a large order waits for finance, then the order is created', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const { definition } = segments.find((s) => s.file === 'order-flow.json')!;
    const run = await engine.startRun({
      segment: definition,
      input: { customer: 'acme', items: [{ sku: 'widget', qty: 40, unit_price: 30 }] },
    });
    expect((await engine.waitForRun(run.runId)).status).toBe('waiting_human');
    await answerAll(engine, run.runId, 'approve');
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({
      create_order: {
        order_id: 'ord-acme-1200',
        customer: 'acme',
        total: 1200,
        currency: 'EUR',
        status: 'created',
      },
    });
  });

  test('content review: changes requested once, then published with the feedback', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const { definition } = segments.find((s) => s.file === 'content-review.json')!;
    const run = await engine.startRun({
      segment: definition,
      input: { title: '2.4', summary: 'Faster runs' },
    });
    await engine.waitForRun(run.runId);
    await answerAll(engine, run.runId, 'request_changes', 'mention the benchmark');
    await engine.waitForRun(run.runId, { until: ['waiting_human'] });
    await answerAll(engine, run.runId, 'approve');
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({
      publish: {
        title: '2.4',
        body: 'Faster runs (revised: mention the benchmark)',
        revision: 1,
        published: true,
      },
    });
  });

  test('parallel deploy: three approvals in any order, then one report', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const { definition } = segments.find((s) => s.file === 'parallel-deploy.json')!;
    const run = await engine.startRun({ segment: definition, input: { version: '2.4.0' } });
    await engine.waitForRun(run.runId);
    const open = await engine.listInteractions({ runId: run.runId, status: ['pending', 'notified'] });
    expect(open).toHaveLength(3);
    for (const i of [open[2], open[0], open[1]]) await engine.respond(i.interactionId, { action: 'approve' });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.outputs).toEqual({ report: { version: '2.4.0', deployed: ['eu', 'us', 'ap'] } });
  });

  test('parallel deploy: a rejected region fails the "all" join, naming it, and closes the open approvals', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const { definition } = segments.find((s) => s.file === 'parallel-deploy.json')!;
    const run = await engine.startRun({ segment: definition, input: { version: '2.4.0' } });
    await engine.waitForRun(run.runId);
    const open = await engine.listInteractions({ runId: run.runId, status: ['pending', 'notified'] });
    const region = (i: (typeof open)[number]) => i.stepId.replace('approve_', '');
    const byRegion = new Map(open.map((i) => [region(i), i]));
    await engine.respond(byRegion.get('eu')!.interactionId, { action: 'approve' });
    await engine.respond(byRegion.get('us')!.interactionId, {
      action: 'reject',
      comment: 'freeze in us-east',
    });
    const done = await engine.waitForRun(run.runId, { until: ['completed', 'failed'] });
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'LLMT_E_JOIN_INCOMPLETE' });
    expect(done.error!.message).toContain('eu arrived, us, ap did not');
    const after = await engine.listInteractions({ runId: run.runId });
    expect(after.find((i) => region(i) === 'ap')!.status).toBe('cancelled');
    expect((await engine.getRun(run.runId))!.steps.find((s) => s.stepId === 'report')!.status).not.toBe(
      'completed',
    );
  });
});
