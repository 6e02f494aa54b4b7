import { describe, expect, test } from 'vitest';
import { defineStepType } from '../catalog/types.js';
import { createEngine, isLlmteamError, ManualClock, MemoryStore } from '../index.js';

/** A step that calls the action `lookup` five times at once, reporting each call's outcome. */
const fanOut = defineStepType({
  type: 'fan_out',
  displayName: 'Fan out',
  category: 'UTILITY',
  configSchema: { type: 'object' },
  inputs: [{ port_id: 'input' }],
  outputs: [{ port_id: 'output' }],
  async handler(ctx) {
    const outcomes = await Promise.all(
      [1, 2, 3, 4, 5].map((q) =>
        ctx.actions.execute('lookup', { q }).then(
          () => 'sent',
          (error) => (isLlmteamError(error) ? error.code : 'error'),
        ),
      ),
    );
    return { output: outcomes };
  },
});

describe('action_calls_per_minute', () => {
  test('calls of one engine that are not committed yet count: five calls at once with a limit of 3 send 3', async () => {
    const clock = new ManualClock('2026-05-04T10:00:00Z');
    const engine = createEngine({ store: new MemoryStore(), clock, stepTypes: [fanOut] });
    let sent = 0;
    engine.actions.defineFunction('lookup', () => ++sent);
    await engine.tenants.create({
      tenantId: 'acme',
      name: 'Acme',
      tier: 'starter',
      limits: { action_calls_per_minute: 3 },
    });
    const acme = engine.forTenant('acme');
    const segment = { segment_id: 'fan', steps: [{ step_id: 'f', step_type: 'fan_out' }] };
    const run = await acme.startRun({ segment });
    const done = await engine.waitForRun(run.runId, { tenantId: 'acme', until: ['completed', 'failed'] });
    const outcomes = ((done.outputs?.f ?? []) as string[]).sort();
    expect(outcomes).toEqual(['LLMT_E_LIMIT_EXCEEDED', 'LLMT_E_LIMIT_EXCEEDED', 'sent', 'sent', 'sent']);
    expect(sent).toBe(3);
    // The refused calls are recorded (audited, with their error) but hold no place in the window.
    const calls = (await engine.store.listAudit('acme')).filter((a) => a.action === 'action.call');
    expect(calls.map((c) => c.data?.status).sort()).toEqual([
      'completed',
      'completed',
      'completed',
      'failed',
      'failed',
    ]);
    expect((await engine.tenants.usage('acme')).action_calls_per_minute).toBe(3);

    clock.advance(60_000);
    expect((await engine.tenants.usage('acme')).action_calls_per_minute).toBe(0);
    const next = await acme.startRun({ segment });
    await engine.waitForRun(next.runId, { tenantId: 'acme', until: ['completed', 'failed'] });
    expect(sent).toBe(6);
    await engine.stop();
  });

  test('an unlimited tier counts nothing and refuses nothing; an override applies to the next call', async () => {
    const engine = createEngine({ store: new MemoryStore(), stepTypes: [fanOut] });
    let sent = 0;
    engine.actions.defineFunction('lookup', () => ++sent);
    await engine.tenants.create({ tenantId: 'big', name: 'Big', tier: 'enterprise' });
    const segment = { segment_id: 'fan', steps: [{ step_id: 'f', step_type: 'fan_out' }] };
    const first = await engine.forTenant('big').startRun({ segment });
    await engine.waitForRun(first.runId, { tenantId: 'big', until: ['completed', 'failed'] });
    expect(sent).toBe(5);
    await engine.tenants.update('big', { limits: { action_calls_per_minute: 6 } });
    const second = await engine.forTenant('big').startRun({ segment });
    const done = await engine.waitForRun(second.runId, { tenantId: 'big', until: ['completed', 'failed'] });
    expect(((done.outputs?.f ?? []) as string[]).filter((o) => o === 'sent')).toHaveLength(1);
    expect(sent).toBe(6);
    await engine.stop();
  });

  test('a call another engine stores late (stamped before what this engine read) is counted at the next re-read, within seconds', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock('2026-05-04T10:00:00Z');
    // The other engine's clock is 3 s behind: its call is stamped before calls read here already.
    const behind = new ManualClock('2026-05-04T09:59:57Z');
    const here = createEngine({ store, clock });
    const there = createEngine({ store, clock: behind });
    for (const engine of [here, there]) engine.actions.defineFunction('lookup', () => 1);
    await here.tenants.create({
      tenantId: 'acme',
      name: 'Acme',
      tier: 'starter',
      limits: { action_calls_per_minute: 4 },
    });
    const segment = {
      segment_id: 'one',
      steps: [{ step_id: 'a', step_type: 'action', config: { action: 'lookup' } }],
    };
    const callOn = async (engine: typeof here) => {
      const run = await engine.forTenant('acme').startRun({ segment });
      return (await engine.waitForRun(run.runId, { tenantId: 'acme', until: ['completed', 'failed'] }))
        .status;
    };
    expect(await callOn(here)).toBe('completed');
    clock.advance(1_000);
    // This check reads the first call: the next ones read only what is stored after it.
    expect(await callOn(here)).toBe('completed');
    expect(await callOn(there)).toBe('completed');
    clock.advance(1_000);
    expect(await callOn(here)).toBe('completed');
    // Within 5 s the meter reads the last 10 s again and finds the late call: 4 calls, no room.
    clock.advance(5_000);
    expect(await callOn(here)).toBe('failed');
    const [refused] = (await here.store.listAudit('acme')).filter((a) => a.data?.status === 'failed');
    expect(refused?.data?.error_type).toBe('LLMT_E_LIMIT_EXCEEDED');
    expect((await here.tenants.usage('acme')).action_calls_per_minute).toBe(4);
    await here.stop();
    await there.stop();
  });
});
