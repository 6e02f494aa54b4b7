import { describe, expect, test } from 'vitest';
import { createEngine, defineStepType, MemoryStore, type WorktrailEvent } from '../index.js';

const gate = defineStepType({
  type: 'gate',
  displayName: 'Gate',
  category: 'UTILITY',
  configSchema: {},
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  handler(ctx) {
    if (ctx.resume === undefined) ctx.suspend({});
    return { output: ctx.resume };
  },
});

describe('worktrail events', () => {
  test('events() replays after afterSeq, then follows live across an engine restart, without gap or duplicate', async () => {
    const store = new MemoryStore();
    const first = createEngine({ store, stepTypes: [gate] });
    const segment = {
      segment_id: 'ev',
      steps: [
        { step_id: 'g', step_type: 'gate' },
        { step_id: 't', step_type: 'transform', config: { expression: '$' } },
      ],
      edges: [{ source_step: 'g', target_step: 't' }],
    };
    const run = await first.startRun({ segment, input: 1 });
    await first.waitForRun(run.runId);
    await first.stop();

    const second = createEngine({ store, stepTypes: [gate] });
    const seen: WorktrailEvent[] = [];
    const consumer = (async () => {
      for await (const e of second.events(run.runId, { afterSeq: 2 })) {
        seen.push(e);
        if (e.type === 'run.completed') break;
      }
    })();
    await new Promise((r) => setTimeout(r, 10));
    await second.resumeStep(run.runId, 'g', 'done');
    await consumer;
    expect(seen[0].seq).toBe(3);
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 3));
    expect(seen.at(-1)!.type).toBe('run.completed');
  });

  test('return() ends a pending iterator at once', async () => {
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [gate] });
    const run = await engine.startRun({
      segment: { segment_id: 'x', steps: [{ step_id: 'g', step_type: 'gate' }] },
    });
    await engine.waitForRun(run.runId);
    const it = engine.events(run.runId, { afterSeq: 1000 });
    const pending = it.next();
    await it.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  test('onEvent delivers only the tenant asked for', async () => {
    const engine = createEngine({ store: new MemoryStore(), tenancy: { implicitTenants: true } });
    const segment = {
      segment_id: 'o',
      steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$' } }],
    };
    const a: string[] = [];
    engine.onEvent((e) => a.push(e.tenant_id), { tenantId: 'acme', types: ['run.completed'] });
    const r1 = await engine.startRun({ segment, tenantId: 'acme' });
    const r2 = await engine.startRun({ segment, tenantId: 'other' });
    await engine.waitForRun(r1.runId, { tenantId: 'acme', until: ['completed'] });
    await engine.waitForRun(r2.runId, { tenantId: 'other', until: ['completed'] });
    expect(a).toEqual(['acme']);
    expect(await engine.getRun(r1.runId, { tenantId: 'other' })).toBeUndefined();
  });
});
