import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  createEngine,
  type LicenceTerms,
  licenceKeyId,
  licenceTerms,
  ManualClock,
  MemoryStore,
  signLicence,
  TIER_DEFAULTS,
  verifyLicence,
} from '../index.js';

const pem = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
};

const START = Date.UTC(2026, 11, 1);
const terms: LicenceTerms = {
  licenceId: 'lic-42',
  licensee: 'Acme Corp',
  tier: 'professional',
  limits: { concurrent_runs: 20, runs_per_day: 1000 },
  features: ['llm_agents', 'human_tasks', 'actions'],
  maxTenants: 2,
  issuedAt: new Date(START).toISOString(),
  expiresAt: new Date(START + 30 * 86_400_000).toISOString(),
};

describe('licences', () => {
  test('a licence signed with Ed25519 verifies with its public key and gives the deployment terms', () => {
    const keys = pem();
    const licence = signLicence(terms, keys.privateKey);
    expect(licence.format).toBe(1);
    expect(Object.keys(licence)).toEqual([
      'format',
      'licenceId',
      'licensee',
      'tier',
      'limits',
      'features',
      'maxTenants',
      'issuedAt',
      'expiresAt',
      'keyId',
      'signature',
    ]);
    // A file round trip, keys in another order: the canonical form still verifies.
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(licence).reverse()), null, 2);
    const verified = verifyLicence(reordered, keys.publicKey, { now: START + 1000 });
    expect(verified.licensee).toBe('Acme Corp');
    expect(licenceTerms(verified)).toEqual({
      tier: 'professional',
      limits: { concurrent_runs: 20, runs_per_day: 1000 },
      features: ['llm_agents', 'human_tasks', 'actions'],
      maxTenants: 2,
      expiresAt: terms.expiresAt,
      licensee: 'Acme Corp',
      licenceId: 'lic-42',
    });
  });

  test('refuses an altered licence, another key, an expired licence, an unknown tier and a malformed field with its path', () => {
    const keys = pem();
    const other = pem();
    const licence = signLicence(terms, keys.privateKey);
    const now = { now: START + 1000, source: 'acme.licence' };

    const raised = JSON.stringify({ ...licence, tier: 'enterprise' });
    expect(() => verifyLicence(raised, keys.publicKey, now)).toThrow(
      expect.objectContaining({
        code: 'LLMT_E_LICENCE_INVALID',
        details: { problem: 'signature', source: 'acme.licence' },
        message: expect.stringMatching(/^licence acme\.licence: the signature does not verify .*altered/),
      }),
    );
    expect(() => verifyLicence(licence, other.publicKey, now)).toThrow(
      `names signing key ${licence.keyId}, the configured public key is ${licenceKeyId(createPublicKey(other.publicKey))}`,
    );

    const expiry = Date.parse(terms.expiresAt);
    expect(() => verifyLicence(licence, keys.publicKey, { now: expiry })).toThrow(
      expect.objectContaining({
        details: { problem: 'expired', expiresAt: terms.expiresAt },
        message: `licence: the licence of Acme Corp (lic-42) expired on ${terms.expiresAt}; install a renewed licence`,
      }),
    );
    expect(verifyLicence(licence, keys.publicKey, { now: expiry - 1 }).tier).toBe('professional');

    const gold = { ...licence, tier: 'gold' };
    expect(() => verifyLicence(gold, keys.publicKey, now)).toThrow(
      expect.objectContaining({
        details: { problem: 'unknown_tier', path: '$.tier', source: 'acme.licence' },
        message: expect.stringContaining(
          '$.tier is not a tier: "gold"; tiers are free, starter, professional, enterprise',
        ),
      }),
    );
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ limits: { runs_per_day: -1 } }, '$.limits.runs_per_day'],
      [{ limits: { runs: 5 } }, '$.limits.runs'],
      [{ features: ['actions', 'teleport'] }, '$.features[1]'],
      [{ expiresAt: 'next year' }, '$.expiresAt'],
      [{ maxTenants: 1.5 }, '$.maxTenants'],
      [{ licensee: '' }, '$.licensee'],
      [{ seats: 3 }, '$.seats'],
      [{ format: 2 }, '$.format'],
    ];
    for (const [change, path] of cases)
      expect(() => verifyLicence({ ...licence, ...change }, keys.publicKey, now)).toThrow(
        expect.objectContaining({ details: { problem: 'malformed', path, source: 'acme.licence' } }),
      );
    expect(() => verifyLicence('{"format": 1', keys.publicKey, now)).toThrow(
      expect.objectContaining({ details: { problem: 'malformed', path: '$', source: 'acme.licence' } }),
    );
    expect(() => verifyLicence(licence, 'not a key', now)).toThrow(
      expect.objectContaining({ details: { problem: 'key' } }),
    );
    // An issuer cannot sign what a gateway would refuse.
    expect(() => signLicence({ ...terms, tier: 'gold' as never }, keys.privateKey)).toThrow(
      expect.objectContaining({ details: { problem: 'unknown_tier', path: '$.tier' } }),
    );
    expect(() => signLicence(terms, keys.publicKey)).toThrow(
      expect.objectContaining({ details: { problem: 'key' } }),
    );
  });

  test("the licence caps every tenant's tier, limits, features and the number of tenants", async () => {
    const keys = pem();
    const licence = verifyLicence(signLicence(terms, keys.privateKey), keys.publicKey, { now: START });
    const clock = new ManualClock(START);
    const engine = createEngine({
      store: new MemoryStore(),
      clock,
      tenancy: { terms: licenceTerms(licence) },
    });
    const big = await engine.tenants.create({
      tenantId: 'big',
      name: 'Big',
      tier: 'enterprise',
      limits: { concurrent_runs: 500, segments: 3 },
    });
    const effective = engine.tenants.effective(big);
    expect(effective.tier).toBe('professional');
    expect(effective.limits).toEqual({
      ...TIER_DEFAULTS.professional.limits,
      concurrent_runs: 20,
      runs_per_day: 1000,
      segments: 3,
    });
    expect(effective.features).toEqual(['llm_agents', 'human_tasks', 'actions']);
    expect((await engine.tenants.require('default')).tier).toBe('professional');

    await engine.tenants.create({ tenantId: 'small', name: 'Small', tier: 'free' });
    expect(engine.tenants.effective((await engine.tenants.get('small'))!).features).toEqual([
      'llm_agents',
      'human_tasks',
    ]);
    await expect(engine.tenants.create({ tenantId: 'third', name: 'Third' })).rejects.toMatchObject({
      code: 'LLMT_E_LIMIT_EXCEEDED',
      details: { limit: 'tenants', value: 2, used: 2, tier: 'professional' },
      message: expect.stringContaining('the licence allows 2 tenants (maxTenants)'),
    });
    await engine.tenants.delete('small');
    await engine.tenants.create({ tenantId: 'third', name: 'Third' });
    await engine.stop();
  });

  test('once the licence expires on the engine clock, new runs, segments and tenants are refused naming the date', async () => {
    const keys = pem();
    const licence = verifyLicence(signLicence(terms, keys.privateKey), keys.publicKey, { now: START });
    const clock = new ManualClock(START);
    const engine = createEngine({
      store: new MemoryStore(),
      clock,
      tenancy: { terms: licenceTerms(licence) },
    });
    const segment = {
      segment_id: 's',
      steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$' } }],
    };
    await engine.upsertSegment(segment);
    const run = await engine.startRun({ segmentId: 's', input: 1 });
    expect(run.status).not.toBe('failed');

    clock.advance(Date.parse(terms.expiresAt) - START);
    const refusal = {
      code: 'LLMT_E_LICENCE_INVALID',
      details: { problem: 'expired', expiresAt: terms.expiresAt },
      message: expect.stringContaining(`the licence of Acme Corp (lic-42) expired on ${terms.expiresAt}`),
    };
    await expect(engine.startRun({ segmentId: 's', input: 2 })).rejects.toMatchObject(refusal);
    await expect(engine.upsertSegment({ ...segment, segment_id: 's2' })).rejects.toMatchObject(refusal);
    await expect(engine.tenants.create({ tenantId: 'late', name: 'Late' })).rejects.toMatchObject(refusal);
    // What is stored stays readable.
    expect((await engine.forTenant('default').listRuns()).items.map((r) => r.runId)).toEqual([run.runId]);
    await engine.stop();
  });
});
