import { describe, expect, test } from 'vitest';
import { createEngine, LIMIT_NAMES, MemoryStore, TIER_DEFAULTS } from '../index.js';

describe('tenancy', () => {
  test('a tier gives default limits and features; overrides merge over them; a licence caps both', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const t = await engine.tenants.create({
      tenantId: 'acme',
      name: 'Acme',
      tier: 'professional',
      limits: { concurrent_runs: 3 },
      dataRegion: 'eu-west-1',
    });
    const effective = engine.tenants.effective(t);
    expect(effective.tier).toBe('professional');
    expect(effective.limits).toEqual({ ...TIER_DEFAULTS.professional.limits, concurrent_runs: 3 });
    expect(effective.features).toContain('audit_checkpoints');
    expect(engine.tenants.effective({ tier: 'enterprise', limits: {} }).limits).toEqual({});
    for (const tier of ['free', 'starter', 'professional'] as const)
      expect(Object.keys(TIER_DEFAULTS[tier].limits).sort()).toEqual([...LIMIT_NAMES].sort());

    const licensed = createEngine({
      store: new MemoryStore(),
      tenancy: { terms: { tier: 'starter', limits: { runs_per_day: 10 } } },
    });
    const capped = licensed.tenants.effective({ tier: 'enterprise', limits: { concurrent_runs: 500 } });
    expect(capped.tier).toBe('starter');
    expect(capped.limits.runs_per_day).toBe(10);
    expect(capped.limits.concurrent_runs).toBe(500);
    expect((await licensed.tenants.require('default')).tier).toBe('starter');
  });

  test('feature overrides turn a feature on or off over the tier; a licence still caps them; an update replaces them', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const t = await engine.tenants.create(
      { tenantId: 'acme', name: 'Acme', tier: 'free', features: { actions: true, human_tasks: false } },
      { actor: 'root' },
    );
    expect(engine.tenants.effective(t).features).toEqual(['llm_agents', 'actions']);
    const updated = await engine.tenants.update(
      'acme',
      { features: { sealed_fields: true } },
      { actor: 'root' },
    );
    expect(updated.features).toEqual({ sealed_fields: true });
    expect(engine.tenants.effective(updated).features).toEqual([
      'llm_agents',
      'human_tasks',
      'sealed_fields',
    ]);
    const cleared = await engine.tenants.update('acme', { features: {} });
    expect(cleared.features).toBeUndefined();
    const audit = await engine.store.listAudit('acme');
    expect(
      audit.map((a) => [a.action, a.data?.features, (a.data as { changed?: string[] }).changed]),
    ).toEqual([
      ['tenant.created', { actions: true, human_tasks: false }, undefined],
      ['tenant.updated', { sealed_fields: true }, ['features']],
      ['tenant.updated', undefined, ['features']],
    ]);
    await expect(
      engine.tenants.update('acme', { features: { teleport: true } as never }),
    ).rejects.toMatchObject({
      code: 'LLMT_E_INVALID_ARGUMENT',
      details: { field: 'features.teleport' },
    });
    const licensed = createEngine({
      store: new MemoryStore(),
      tenancy: { terms: { tier: 'enterprise', features: ['llm_agents'] } },
    });
    expect(
      licensed.tenants.effective({ tier: 'free', limits: {}, features: { actions: true } }).features,
    ).toEqual(['llm_agents']);
  });

  test('refuses an unknown limit, a bad value, an unknown tier and a second tenant of one id, naming the field', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    await expect(
      engine.tenants.create({ tenantId: 'a', name: 'A', limits: { runs: 1 } as never }),
    ).rejects.toMatchObject({ code: 'LLMT_E_INVALID_ARGUMENT', details: { field: 'limits.runs' } });
    await expect(
      engine.tenants.create({ tenantId: 'a', name: 'A', limits: { concurrent_runs: -1 } }),
    ).rejects.toMatchObject({ details: { field: 'limits.concurrent_runs' } });
    await expect(
      engine.tenants.create({ tenantId: 'a', name: 'A', tier: 'gold' as never }),
    ).rejects.toMatchObject({
      details: { field: 'tier' },
    });
    await engine.tenants.create({ tenantId: 'a', name: 'A' });
    await expect(engine.tenants.create({ tenantId: 'a', name: 'A' })).rejects.toMatchObject({
      code: 'LLMT_E_TENANT_EXISTS',
    });
    await expect(engine.tenants.update('nope', { name: 'x' })).rejects.toMatchObject({
      code: 'LLMT_E_TENANT_NOT_FOUND',
    });
  });

  test('the probe: limits.runs_per_day 1 starts one run, not three; the message names the limit, value, tier and fix', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    await engine.tenants.create({
      tenantId: 'acme',
      name: 'Acme',
      tier: 'starter',
      limits: { runs_per_day: 1 },
    });
    const acme = engine.forTenant('acme');
    const segment = {
      segment_id: 's',
      steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$' } }],
    };
    await acme.startRun({ segment, input: 1 });
    const refused = acme.startRun({ segment, input: 2 });
    await expect(refused).rejects.toMatchObject({
      code: 'LLMT_E_LIMIT_EXCEEDED',
      details: { limit: 'runs_per_day', value: 1, tier: 'starter', tenantId: 'acme' },
    });
    await expect(acme.startRun({ segment })).rejects.toThrow(/runs_per_day = 1 .*tier starter.*raise it/);
    expect((await acme.listRuns()).items).toHaveLength(1);
    expect((await engine.tenants.usage('acme')).runs_per_day).toBe(1);
  });

  test('the default tenant exists without setup; tenant writes are audited', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const run = await engine.startRun({
      segment: {
        segment_id: 's',
        steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$' } }],
      },
    });
    expect(run.tenantId).toBe('default');
    await engine.tenants.create({ tenantId: 'acme', name: 'Acme' }, { actor: 'root' });
    await engine.tenants.update('acme', { tier: 'free' }, { actor: 'root' });
    await engine.tenants.suspend('acme', { actor: 'root' });
    const audit = await engine.forTenant('acme').listAudit();
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['tenant.created', 'root'],
      ['tenant.updated', 'root'],
      ['tenant.suspended', 'root'],
    ]);
    expect((await engine.tenants.list()).map((t) => t.tenantId)).toEqual(['acme']);
  });

  test('audit entries name each change: the fields updated, a suspension with its reason, resume and delete', async () => {
    const engine = createEngine({ store: new MemoryStore() });
    const { tenants } = engine;
    await tenants.create({ tenantId: 'acme', name: 'Acme', limits: { segments: 3 } }, { actor: 'root' });
    await tenants.update('acme', { dataRegion: 'eu-west-1', limits: { segments: 4 } }, { actor: 'root' });
    const suspended = await tenants.suspend('acme', { actor: 'root', reason: 'invoice overdue' });
    expect(suspended).toMatchObject({ suspendedAt: expect.any(String), suspensionReason: 'invoice overdue' });
    const resumed = await tenants.resume('acme', { actor: 'root' });
    expect(resumed.suspendedAt).toBeUndefined();
    expect(resumed.suspensionReason).toBeUndefined();
    await tenants.delete('acme', { actor: 'root', reason: 'contract ended' });
    const audit = await engine.store.listAudit('acme');
    expect(audit.map((a) => [a.action, a.data])).toEqual([
      ['tenant.created', { name: 'Acme', tier: 'starter', limits: { segments: 3 } }],
      [
        'tenant.updated',
        {
          name: 'Acme',
          tier: 'starter',
          limits: { segments: 4 },
          dataRegion: 'eu-west-1',
          changed: ['limits', 'dataRegion'],
        },
      ],
      ['tenant.suspended', { name: 'Acme', tier: 'starter', reason: 'invoice overdue' }],
      ['tenant.resumed', { name: 'Acme', tier: 'starter' }],
      ['tenant.deleted', { name: 'Acme', tier: 'starter', reason: 'contract ended' }],
    ]);
    await tenants.create({ tenantId: 'acme', name: 'Acme again' }, { actor: 'root' });
    expect((await engine.store.listAudit('acme')).at(-1)?.action).toBe('tenant.created');
    await expect(tenants.suspend('default')).rejects.toMatchObject({ code: 'LLMT_E_INVALID_ARGUMENT' });
  });
});
