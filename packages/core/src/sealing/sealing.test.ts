import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  createEngine,
  defineStepType,
  isSealedValue,
  type Logger,
  MemoryStore,
  redactSealed,
  type SegmentDefinition,
  staticKeyProvider,
} from '../index.js';

const CANARY = `4111-canary-${randomBytes(6).toString('hex')}`;

/** A logger that keeps every line it is given, as text. */
function lines(): { logger: Logger; text: () => string } {
  const out: string[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const log = (obj: unknown, msg?: string) => out.push(JSON.stringify({ ...bindings, obj, msg }));
    return { debug: log, info: log, warn: log, error: log, child: (b) => make({ ...bindings, ...b }) };
  };
  return { logger: make({}), text: () => out.join('\n') };
}

function probeEngine(keys = staticKeyProvider({ keys: { k1: randomBytes(32) } })) {
  const seen: Record<string, unknown> = {};
  const log = lines();
  const probe = defineStepType({
    type: 'probe',
    displayName: 'Probe',
    category: 'UTILITY',
    configSchema: { type: 'object' },
    inputs: [{ port_id: 'input' }],
    outputs: [{ port_id: 'output' }],
    handler(ctx) {
      seen[ctx.stepId] = ctx.input;
      const input = ctx.input as { card: { number: unknown }; amount: number };
      ctx.logger.info({ card: input.card }, `charging card ${String(input.card.number)}`);
      ctx.emit('step.progress' as never, { text: `card ${String(input.card.number)}` } as never);
      if ((ctx.config as { fail?: boolean }).fail)
        throw new Error(`card ${String(input.card.number)} declined`);
      return {
        output: { card: input.card, receipt: `charged ${String(input.card.number)}`, amount: input.amount },
      };
    },
  });
  const engine = createEngine({
    store: new MemoryStore(),
    stepTypes: [probe],
    logger: log.logger,
    sealing: { keys },
  });
  return { engine, seen, log, keys };
}

const segment: SegmentDefinition = {
  segment_id: 'payments',
  sealed_fields: ['card.number'],
  steps: [
    { step_id: 'charge', step_type: 'probe', sealed_fields: ['card.number'], sealed_grants: ['ledger'] },
    { step_id: 'notify', step_type: 'probe' },
    { step_id: 'ledger', step_type: 'probe' },
  ],
  edges: [
    { source_step: 'charge', target_step: 'notify' },
    { source_step: 'charge', target_step: 'ledger' },
  ],
};

async function everything(engine: ReturnType<typeof createEngine>, runId: string): Promise<string> {
  const { store } = engine;
  return JSON.stringify([
    await store.getRun('default', runId),
    await store.getSteps('default', runId),
    await store.listEvents('default', runId),
    await store.listSnapshots('default', runId),
    await store.listAudit('default'),
  ]);
}

describe('sealed fields', () => {
  test('the owning step sees the plaintext, another step only the sealed value, and nothing stores it', async () => {
    const { engine, seen, log } = probeEngine();
    const run = await engine.startRun({ segment, input: { card: { number: CANARY }, amount: 12 } });
    expect(isSealedValue((run.input as { card: { number: unknown } }).card.number)).toBe(true);
    const done = await engine.waitForRun(run.runId);
    expect(done.status).toBe('completed');
    expect(seen.charge).toEqual({ card: { number: CANARY }, amount: 12 });
    const notified = seen.notify as { card: { number: unknown }; receipt: unknown; amount: number };
    expect(isSealedValue(notified.card.number)).toBe(true);
    expect(isSealedValue(notified.receipt)).toBe(true);
    expect(notified.amount).toBe(12);
    // `ledger` is granted what `charge` sealed.
    expect(seen.ledger).toEqual({ card: { number: CANARY }, receipt: `charged ${CANARY}`, amount: 12 });
    await engine.createSnapshot(run.runId);
    const stored = await everything(engine, run.runId);
    expect(stored).not.toContain(CANARY);
    expect(stored).not.toContain(CANARY.slice(5));
    expect(log.text()).not.toContain(CANARY);
    expect(log.text()).toContain('charging card [sealed]');
    expect(JSON.stringify(redactSealed(done.outputs))).toContain('"[sealed]"');
    await engine.stop();
  });

  test('a failing owner step keeps the plaintext out of its error', async () => {
    const { engine } = probeEngine();
    const failing: SegmentDefinition = {
      segment_id: 'declines',
      steps: [
        { step_id: 'charge', step_type: 'probe', sealed_fields: ['card.number'], config: { fail: true } },
      ],
    };
    const run = await engine.startRun({ segment: failing, input: { card: { number: CANARY }, amount: 1 } });
    const done = await engine.waitForRun(run.runId);
    expect(done.status).toBe('failed');
    const steps = await engine.store.getSteps('default', run.runId);
    expect(steps[0]!.error?.message).toBe('card [sealed] declined');
    expect(await everything(engine, run.runId)).not.toContain(CANARY);
    await engine.stop();
  });

  test('unseal opens the run input and the step outputs and audits each call', async () => {
    const { engine } = probeEngine();
    const run = await engine.startRun({ segment, input: { card: { number: CANARY }, amount: 3 } });
    await engine.waitForRun(run.runId);
    const input = await engine.unseal(run.runId, { reason: 'chargeback 17', actor: { subject: 'ana' } });
    expect(input.value).toEqual({ card: { number: CANARY }, amount: 3 });
    expect(input.fields).toEqual(['/card/number']);
    const outputs = await engine.unseal(run.runId, { stepId: 'charge', actor: { subject: 'ana' } });
    expect((outputs.value as { output: { receipt: string } }).output.receipt).toBe(`charged ${CANARY}`);
    const audit = (await engine.store.listAudit('default')).filter((a) => a.action === 'run.unsealed');
    expect(audit.map((a) => [a.actor, a.target, a.data])).toEqual([
      ['ana', 'input', { fields: ['/card/number'], reason: 'chargeback 17' }],
      ['ana', 'charge', { fields: ['/card/number'] }],
    ]);
    expect(JSON.stringify(audit)).not.toContain(CANARY);
    await engine.stop();
  });

  test('values sealed before a key rotation stay readable after it', async () => {
    const k1 = randomBytes(32);
    const before = probeEngine(staticKeyProvider({ keys: { k1 } }));
    const run = await before.engine.startRun({ segment, input: { card: { number: CANARY }, amount: 3 } });
    await before.engine.waitForRun(run.runId);
    const store = before.engine.store;
    await before.engine.stop();
    const rotated = createEngine({
      store,
      sealing: { keys: staticKeyProvider({ keys: { k1, k2: randomBytes(32) }, current: 'k2' }) },
    });
    const opened = await rotated.unseal(run.runId);
    expect(opened.value).toEqual({ card: { number: CANARY }, amount: 3 });
    const unknown = createEngine({
      store,
      sealing: { keys: staticKeyProvider({ keys: { k2: randomBytes(32) } }) },
    });
    await expect(unknown.unseal(run.runId)).rejects.toMatchObject({ code: 'LLMT_E_SEALING_KEY' });
  });

  test('a tampered sealed value is refused with a typed error', async () => {
    const { engine } = probeEngine();
    const run = await engine.startRun({ segment, input: { card: { number: CANARY }, amount: 3 } });
    await engine.waitForRun(run.runId);
    const stored = await engine.store.getRun('default', run.runId);
    const sealed = (stored!.input as { card: { number: { $sealed: { path: string } } } }).card.number;
    sealed.$sealed.path = '/amount';
    const { sealing } = engine as unknown as {
      sealing: { openAll(value: unknown, tenantId: string): Promise<unknown> };
    };
    await expect(sealing.openAll(stored!.input, 'default')).rejects.toMatchObject({
      code: 'LLMT_E_SEALED_TAMPERED',
    });
    await engine.stop();
  });

  test('a segment that seals fields needs a key provider', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const plain: SegmentDefinition = {
      segment_id: 'payments',
      sealed_fields: ['card.number'],
      steps: [{ step_id: 'a', step_type: 'transform', config: { expression: '$' } }],
    };
    await expect(
      engine.startRun({ segment: plain, input: { card: { number: CANARY } } }),
    ).rejects.toMatchObject({
      code: 'LLMT_E_SEALING_KEY',
      message: expect.stringContaining('segment "payments" seals fields'),
    });
  });

  test('validation names a sealed_grants entry that is no step', () => {
    const engine = createEngine({ store: new MemoryStore() });
    const result = engine.validate({
      segment_id: 's',
      steps: [{ step_id: 'a', step_type: 'transform', config: { expression: '$' }, sealed_grants: ['nope'] }],
    });
    expect(result.problems).toContainEqual(
      expect.objectContaining({
        path: '$.steps[0].sealed_grants[0]',
        message: expect.stringContaining('"nope"'),
      }),
    );
  });
});
