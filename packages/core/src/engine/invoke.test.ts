import { describe, expect, test } from 'vitest';
import { createEngine, defineStepType, MemoryStore, type SegmentDefinition, type Store } from '../index.js';

const approval: SegmentDefinition = {
  segment_id: 'ship',
  steps: [
    { step_id: 'price', step_type: 'transform', config: { expression: '{ "total": $.qty * 10 }' } },
    {
      step_id: 'ask',
      step_type: 'human_task',
      config: { task_type: 'approval', title: 'Ship it?', assignee_ref: 'alice' },
    },
  ],
  edges: [{ source_step: 'price', target_step: 'ask' }],
};

const big = defineStepType({
  type: 'big_output',
  displayName: 'Big output',
  category: 'UTILITY',
  configSchema: { type: 'object' },
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  handler: (ctx) => ({ output: { blob: 'x'.repeat(1024 * 1024), n: ctx.input } }),
});

/** Records the names of the store's read calls. */
function reads(store: Store): { store: Store; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string' || key === 'subscribe') return value;
      return (...args: unknown[]) => {
        if (key !== 'commit') calls.push(key);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

describe('engine.invoke', () => {
  test('returns a completed run with its outputs, reading nothing back from the store', async () => {
    const { store, calls } = reads(new MemoryStore());
    const engine = createEngine({ store, stepTypes: [big] });
    await engine.upsertSegment({
      segment_id: 'big',
      steps: [{ step_id: 'b', step_type: 'big_output' }],
      edges: [],
    });
    calls.length = 0;
    const result = await engine.invoke('big', 7);
    expect(result.status).toBe('completed');
    const output = result.outputs?.b as { n: number; blob: string };
    expect(output.n).toBe(7);
    expect(output.blob).toHaveLength(1024 * 1024);
    expect(result.waitingOn.interactions).toEqual([]);
    expect(calls).toEqual([]);
    expect((await engine.getRun(result.runId))?.run).toEqual(result.run);
  });

  test('returns a waiting run with the request it waits on; the answer continues it', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    await engine.upsertSegment(approval);
    const waiting = await engine.invoke('ship', { qty: 3 });
    expect(waiting.status).toBe('waiting_human');
    expect(waiting.waitingOn.interactions).toHaveLength(1);
    const [request] = waiting.waitingOn.interactions;
    expect(request).toMatchObject({
      runId: waiting.runId,
      stepId: 'ask',
      status: 'pending',
      title: 'Ship it?',
    });
    expect(await engine.listInteractions({ runId: waiting.runId })).toEqual([request]);
    await engine.respond(request.interactionId, { action: 'approve', actor: { subject: 'alice' } });
    const done = await engine.waitForRun(waiting.runId, { until: ['completed'] });
    expect(Object.keys(done.outputs ?? {})).toEqual(['ask']);
  });

  test('returns a failed run with its error', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    await engine.upsertSegment({
      segment_id: 'broken',
      steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$error("no")' } }],
      edges: [],
    });
    const result = await engine.invoke('broken', 1);
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('no');
    expect(result.outputs).toBeUndefined();
  });

  test("a tenant's engine invokes in its tenant; an unknown segment is refused", async () => {
    const engine = createEngine({ store: new MemoryStore(), tenancy: { implicitTenants: true } });
    const acme = engine.forTenant('acme', { subject: 'ops@acme' });
    await acme.upsertSegment(approval);
    const result = await acme.invoke('ship', { qty: 1 });
    expect(result.run.tenantId).toBe('acme');
    expect(result.waitingOn.interactions.map((i) => i.tenantId)).toEqual(['acme']);
    await expect(engine.invoke('ship', { qty: 1 })).rejects.toMatchObject({
      code: 'LLMT_E_SEGMENT_NOT_FOUND',
    });
  });
});
