import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine, MemoryStore } from '../index.js';
import { ManualClock } from '../util/clock.js';
import { fileAnchor, lastAnchoredCheckpoint, webhookAnchor } from './audit-anchors.js';
import { auditSigningKey, verifyAuditCheckpoint, verifyAuditInclusion } from './checkpoint.js';

const SEGMENT = {
  segment_id: 'pass',
  version: '1.0.0',
  steps: [{ step_id: 't', step_type: 'transform', config: { expression: '$' } }],
};

async function withEntries(
  options: Parameters<typeof createEngine>[0]['audit'] = {},
  clock = new ManualClock(),
) {
  const store = new MemoryStore();
  const engine = createEngine({ store, clock, audit: options, tenancy: { implicitTenants: true } });
  const acme = engine.forTenant('acme', { subject: 'ann' });
  await acme.upsertSegment(SEGMENT);
  await acme.upsertSegment({ ...SEGMENT, version: '1.0.1' });
  await acme.upsertSegment({ ...SEGMENT, version: '1.0.2' });
  return { store, engine, acme, clock };
}

describe('audit checkpoints', () => {
  it('signs size, head and tree head with Ed25519 and proves one entry against it', async () => {
    const { engine, acme } = await withEntries();
    const checkpoint = await acme.auditCheckpoint();
    const audit = await acme.listAudit();
    expect(checkpoint).toMatchObject({ tenantId: 'acme', size: 3, headHash: audit[2]!.hash, format: 1 });
    expect(verifyAuditCheckpoint(checkpoint, engine.audit.publicKeyPem)).toBe(true);
    expect(verifyAuditCheckpoint({ ...checkpoint, size: 2 }, engine.audit.publicKeyPem)).toBe(false);
    expect(await acme.latestAuditCheckpoint()).toEqual(checkpoint);

    const proof = await acme.auditProof(2);
    expect(proof.entry).toEqual(audit[1]);
    expect(verifyAuditInclusion(proof, engine.audit.publicKeyPem)).toEqual({ valid: true });
    expect(
      verifyAuditInclusion(
        { ...proof, entry: { ...proof.entry, actor: 'mallory' } },
        engine.audit.publicKeyPem,
      ),
    ).toMatchObject({
      valid: false,
      reason: 'the entry does not match its hash (it was altered)',
    });
    const other = generateKeyPairSync('ed25519').publicKey;
    expect(verifyAuditInclusion(proof, other).reason).toMatch(/not signed by this key/);
    const forged = { ...proof, path: proof.path.map(() => 'ab'.repeat(32)) };
    expect(verifyAuditInclusion(forged, engine.audit.publicKeyPem).reason).toMatch(
      /does not lead to the checkpoint's tree head/,
    );
    await expect(acme.auditProof(9)).rejects.toMatchObject({ code: 'LLMT_E_INVALID_ARGUMENT' });
  });

  it('signs a new checkpoint when a proof is asked for an entry after the newest one', async () => {
    const { acme, engine } = await withEntries();
    await acme.auditCheckpoint();
    await acme.upsertSegment({ ...SEGMENT, version: '2.0.0' });
    const proof = await acme.auditProof(4);
    expect(proof.checkpoint.size).toBe(4);
    expect(verifyAuditInclusion(proof, engine.audit.publicKeyPem).valid).toBe(true);
  });

  it('verifies against the newest checkpoint and names the tail removed since', async () => {
    const { store, acme } = await withEntries();
    await acme.auditCheckpoint();
    expect(await acme.verifyAudit()).toMatchObject({ valid: true, checked: 3, checkpoint: { size: 3 } });
    const chain = (store as unknown as { audit: Map<string, unknown[]> }).audit.get('acme')!;
    chain.splice(1);
    expect((await acme.verifyAudit()).brokenAt).toMatchObject({ seq: 2, kind: 'truncated' });
  });

  it('writes checkpoints on the engine clock even when idle, and sends them to file and webhook anchors', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'llmteam-anchor-')), 'checkpoints.jsonl');
    const received: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/anchor`;
    const clock = new ManualClock('2026-03-01T00:00:00Z');
    const { engine, acme } = await withEntries(
      { checkpointEvery: 'PT10M', anchors: [fileAnchor(file), webhookAnchor(url)], tenants: ['acme'] },
      clock,
    );
    await engine.start();
    try {
      expect(await acme.latestAuditCheckpoint()).toBeUndefined();
      clock.advance(10 * 60_000);
      await engine.audit.settled();
      expect(received).toHaveLength(1);
      clock.advance(10 * 60_000);
      await engine.audit.settled();
      expect(received).toHaveLength(2);
      const latest = await acme.latestAuditCheckpoint();
      expect(latest).toMatchObject({ size: 3, timestamp: '2026-03-01T00:20:00.000Z' });
      expect(received[1]).toEqual(latest);
      expect(lastAnchoredCheckpoint(readFileSync(file, 'utf8'), 'acme')).toEqual(latest);
    } finally {
      await engine.stop();
      server.close();
    }
  });

  it('takes its signing key from options and refuses a key that is not Ed25519', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const key = auditSigningKey(pem);
    expect(key.development).toBe(false);
    expect(auditSigningKey().development).toBe(true);
    expect(auditSigningKey().keyId).toBe(auditSigningKey().keyId);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    expect(() => auditSigningKey(rsa.toString())).toThrow(
      expect.objectContaining({ code: 'LLMT_E_AUDIT_KEY' }),
    );
    expect(() => auditSigningKey('not a key')).toThrow(/cannot be read/);
    const { engine, acme } = await withEntries({ signingKey: pem });
    const checkpoint = await acme.auditCheckpoint();
    expect(checkpoint.keyId).toBe(key.keyId);
    expect(verifyAuditCheckpoint(checkpoint, auditSigningKey().publicKey)).toBe(false);
    expect(engine.audit.signingKey.keyId).toBe(key.keyId);
  });
});
