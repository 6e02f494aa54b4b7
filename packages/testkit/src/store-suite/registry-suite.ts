import { sha256, verifyAuditChain } from '@llmteam/core';
import { at, sampleAudit, startRun, uniqueId } from '../store-fixtures.js';
import { type StoreConformanceOptions, storeSuiteSupport } from './suite-support.js';

/**
 * Conformance of a store's registry: tenants, API keys and segment versions, each write
 * audited in the tenant's chain.
 */
export function registryConformanceSuite(options: StoreConformanceOptions): void {
  const { test, expect, describe } = options;
  const { withStore } = storeSuiteSupport(options);

  describe(`${options.name} registry`, () => {
    test('stores tenants, API keys and segment versions', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const tenant = {
          tenantId: t,
          name: 'Acme',
          tier: 'enterprise' as const,
          limits: { runs: 10 },
          retention: { completedRunsSeconds: 60 },
          createdAt: at(),
        };
        await store.putTenant(tenant);
        await store.putTenant({ ...tenant, name: 'Acme Inc' });
        expect(await store.getTenant(t)).toEqual({ ...tenant, name: 'Acme Inc' });
        expect((await store.listTenants()).filter((x) => x.tenantId === t)).toEqual([
          { ...tenant, name: 'Acme Inc' },
        ]);

        const hash = sha256(uniqueId('secret'));
        const key = {
          keyId: uniqueId('key'),
          tenantId: t,
          secretHash: hash,
          roles: ['operator' as const],
          subject: 'svc',
          groups: ['ops'],
          createdAt: at(),
        };
        await store.putApiKey(key);
        expect(await store.findApiKeyByHash(hash)).toEqual(key);
        await store.putApiKey({ ...key, revokedAt: at(5) });
        expect((await store.findApiKeyByHash(hash))?.revokedAt).toBe(at(5));
        expect(await store.listApiKeys(t)).toEqual([{ ...key, revokedAt: at(5) }]);
        expect(await store.findApiKeyByHash(sha256('nothing'))).toBeUndefined();

        const seg = (id: string, version: string, name = `${id}@${version}`) => ({
          tenantId: t,
          segmentId: id,
          version,
          name,
          definition: { steps: [{ id: version }] },
          createdAt: at(),
        });
        await store.putSegment(seg('alpha', '1.0.0'));
        await store.putSegment(seg('alpha', '1.1.0'));
        await store.putSegment(seg('beta', '2.0.0'));
        expect(await store.getSegment(t, 'alpha')).toEqual(seg('alpha', '1.1.0'));
        expect(await store.getSegment(t, 'alpha', '1.0.0')).toEqual(seg('alpha', '1.0.0'));
        expect(await store.getSegment(t, 'alpha', '9.9.9')).toBeUndefined();
        await store.putSegment(seg('alpha', '1.0.0', 'replaced'));
        expect(await store.getSegment(t, 'alpha', '1.0.0')).toEqual(seg('alpha', '1.0.0', 'replaced'));
        expect((await store.listSegments(t)).map((s) => `${s.segmentId}@${s.version}`).sort()).toHaveLength(
          2,
        );
      }));

    test('audits every registry write in the tenant’s chain, which run commits continue', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const tenant = { tenantId: t, name: 'Acme', tier: 'free' as const, limits: {}, createdAt: at(1) };
        await store.putTenant(tenant, { actor: 'root' });
        await store.putTenant({ ...tenant, tier: 'enterprise' }, { actor: 'root', timestamp: at(2) });
        const secretHash = sha256(uniqueId('secret'));
        const key = {
          keyId: uniqueId('key'),
          tenantId: t,
          secretHash,
          roles: ['approver' as const],
          subject: 'fiona',
          groups: [],
          createdAt: at(3),
        };
        await store.putApiKey(key, { actor: 'root' });
        await store.putApiKey({ ...key, revokedAt: at(4) }, { actor: 'root' });
        const segment = {
          tenantId: t,
          segmentId: 'alpha',
          version: '1.0.0',
          name: 'Alpha',
          definition: { steps: [] },
          createdAt: at(5),
        };
        await store.putSegment(segment, { actor: 'ops' });
        await store.putSegment(segment);

        const audit = await store.listAudit(t);
        expect(audit.map((a) => [a.action, a.actor, a.target, a.timestamp])).toEqual([
          ['tenant.created', 'root', t, at(1)],
          ['tenant.updated', 'root', t, at(2)],
          ['api_key.created', 'root', key.keyId, at(3)],
          ['api_key.revoked', 'root', key.keyId, at(4)],
          ['segment.upserted', 'ops', 'alpha@1.0.0', at(5)],
          ['segment.upserted', 'system', 'alpha@1.0.0', at(5)],
        ]);
        expect(verifyAuditChain(audit).valid).toBe(true);
        // Neither the secret nor its hash enters the chain.
        expect(JSON.stringify(audit).includes(secretHash)).toBe(false);
        // Another tenant's chain holds none of it.
        expect(await store.listAudit(uniqueId('t'))).toEqual([]);

        // A run commit chains onto the registry entries.
        await startRun(store, t, 'run-1', { audit: [sampleAudit(t, 'run.started')] });
        const after = await store.listAudit(t);
        expect(after.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        expect(verifyAuditChain(after).valid).toBe(true);
      }));
  });
}
