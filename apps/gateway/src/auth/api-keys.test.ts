import { MemoryStore } from '@llmteam/core';
import { describe, expect, it } from 'vitest';
import { authenticate, createApiKey, ensureBootstrapKey, hashApiKey, parseBearer } from './api-keys.js';
import { can } from './permissions.js';

describe('API keys', () => {
  it('stores only the SHA-256 of the secret and authenticates with the secret', async () => {
    const store = new MemoryStore();
    const { record, secret } = await createApiKey(store, {
      tenantId: 't1',
      roles: ['approver'],
      subject: 'ann',
      groups: ['ops'],
    });
    expect(record.secretHash).toBe(hashApiKey(secret));
    expect(JSON.stringify(await store.listApiKeys('t1'))).not.toContain(secret);
    expect(await authenticate(store, secret)).toMatchObject({
      tenantId: 't1',
      subject: 'ann',
      groups: ['ops'],
      roles: ['approver'],
    });
    expect(await authenticate(store, `${secret}x`)).toBeUndefined();
    expect(await authenticate(store, 'not-a-key')).toBeUndefined();
  });

  it('refuses revoked keys', async () => {
    const store = new MemoryStore();
    const { record, secret } = await createApiKey(store, { tenantId: 't1', roles: ['admin'] });
    await store.putApiKey({ ...record, revokedAt: new Date().toISOString() });
    expect(await authenticate(store, secret)).toBeUndefined();
  });

  it('creates the bootstrap admin key once and confirms it afterwards', async () => {
    const store = new MemoryStore();
    const secret = 'llmt_bootstrap-key-for-tests-000';
    const first = await ensureBootstrapKey(store, secret);
    const second = await ensureBootstrapKey(store, secret);
    expect(second.keyId).toBe(first.keyId);
    expect(first).toMatchObject({ tenantId: 'default', roles: ['admin'] });
    expect(await store.getTenant('default')).toBeDefined();
    await expect(ensureBootstrapKey(store, 'short')).rejects.toThrow(/llmt_/);
  });

  it('reads bearer tokens', () => {
    expect(parseBearer('Bearer llmt_abc')).toBe('llmt_abc');
    expect(parseBearer('bearer   llmt_abc')).toBe('llmt_abc');
    expect(parseBearer('llmt_abc')).toBe('llmt_abc');
    expect(parseBearer('Basic Zm9v')).toBeUndefined();
    expect(parseBearer(undefined)).toBeUndefined();
  });

  it('grants each role its permissions only', () => {
    const as = (role: 'admin' | 'operator' | 'approver' | 'viewer') => ({
      keyId: 'k',
      tenantId: 't',
      subject: 's',
      groups: [],
      roles: [role],
    });
    expect(['read', 'answer', 'operate', 'admin'].filter((p) => can(as('viewer'), p as never))).toEqual([
      'read',
    ]);
    expect(['read', 'answer', 'operate', 'admin'].filter((p) => can(as('approver'), p as never))).toEqual([
      'read',
      'answer',
    ]);
    expect(['read', 'answer', 'operate', 'admin'].filter((p) => can(as('operator'), p as never))).toEqual([
      'read',
      'operate',
    ]);
    expect(['read', 'answer', 'operate', 'admin'].filter((p) => can(as('admin'), p as never))).toEqual([
      'read',
      'answer',
      'operate',
      'admin',
    ]);
  });
});
