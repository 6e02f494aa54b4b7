import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../store/types.js';
import { canonicalJson, sha256 } from '../util/canonical-json.js';
import {
  AUDIT_GENESIS_HASH,
  auditEntryBody,
  auditEntryHash,
  auditRecordFromRow,
  auditRowOf,
  chainAuditEntry,
  chainAuditRow,
  verifyAuditChain,
} from './hash-chain.js';

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      chainAuditEntry(
        {
          tenantId: 't',
          action: 'run.started',
          actor: `u${i}`,
          runId: `r${i}`,
          timestamp: `2026-01-01T00:00:0${i}.000Z`,
        },
        out.at(-1),
      ),
    );
  }
  return out;
}

describe('audit hash chain', () => {
  it('hashes every field of an entry, its time and any added field included', () => {
    const [first] = chain(1);
    expect(first!.hashFormat).toBe(3);
    for (const change of [
      { timestamp: '2027-01-01T00:00:00.000Z' },
      { seq: 2 },
      { tenantId: 'u' },
      { extra: 1 },
    ]) {
      expect(auditEntryHash({ ...first!, ...change })).not.toBe(first!.hash);
    }
  });

  it('hashes format 3 as stored: tenant, seq and time, then the body text with prevHash first', () => {
    const base = chain(2)[1]!;
    const variants: AuditRecord[] = [
      base,
      { ...base, target: 'int_1', data: { z: [1, { b: 2, a: null }], a: 'x"y\u2028' } },
      { ...base, runId: undefined, data: {} },
      { ...base, actor: 'ünïcode \n', extra: { nested: true } } as AuditRecord,
    ];
    for (const v of variants) {
      const { hash: _h, tenantId, seq, timestamp, prevHash, ...rest } = v;
      const body = auditEntryBody(v);
      expect(body).toBe(`{"prevHash":${JSON.stringify(prevHash)},${canonicalJson(rest).slice(1)}`);
      expect(auditEntryHash(v)).toBe(sha256(JSON.stringify([tenantId, seq, timestamp, JSON.parse(body)])));
      // The stored form reads back as the same entry.
      const row = auditRowOf(v);
      expect(row.body).toBe(body);
      expect(auditRecordFromRow(tenantId, row)).toEqual(JSON.parse(JSON.stringify(v)));
    }
    const { record, row } = chainAuditRow({ tenantId: 't', action: 'a', actor: 'x', timestamp: 'y' }, base);
    expect(row).toEqual(auditRowOf(record));
    expect(auditEntryHash(record)).toBe(record.hash);
  });

  it('hashes format 2 as the canonical JSON of every field but the hash, whatever the fields hold', () => {
    const base = { ...chain(2)[1]!, hashFormat: 2 };
    const variants: Array<Record<string, unknown>> = [
      base,
      { ...base, target: 'int_1', data: { z: [1, { b: 2, a: null }], a: 'x"y\u2028' } },
      { ...base, runId: undefined, data: {} },
      { ...base, actor: 'ünïcode \n', extra: { nested: true } },
    ];
    for (const v of variants) {
      const { hash: _hash, ...fields } = v;
      expect(auditEntryHash(v as unknown as AuditRecord)).toBe(sha256(canonicalJson(fields)));
    }
  });

  it('still verifies entries of format 1 (written before every field was hashed)', () => {
    const body = { tenantId: 't', seq: 1, action: 'a', actor: 'x', timestamp: '2026-01-01T00:00:00.000Z' };
    const v1: AuditRecord = {
      ...body,
      prevHash: AUDIT_GENESIS_HASH,
      hash: sha256(AUDIT_GENESIS_HASH + canonicalJson(body)),
    };
    const next = chainAuditEntry({ tenantId: 't', action: 'b', actor: 'x', timestamp: body.timestamp }, v1);
    expect(verifyAuditChain([v1, next])).toMatchObject({ valid: true, checked: 2, headHash: next.hash });
    expect(verifyAuditChain([{ ...v1, actor: 'y' }, next]).brokenAt).toMatchObject({
      seq: 1,
      kind: 'altered',
    });
  });

  it('names an altered entry, a missing one and a swapped pair at the first entry out of place', () => {
    const records = chain(6);
    expect(
      verifyAuditChain(records.map((r, i) => (i === 2 ? { ...r, timestamp: '2030-01-01T00:00:00.000Z' } : r)))
        .brokenAt,
    ).toEqual({
      seq: 3,
      kind: 'altered',
      reason: 'entry 3 does not match its hash (it was altered)',
    });
    expect(verifyAuditChain(records.filter((_, i) => i !== 3)).brokenAt).toMatchObject({
      seq: 4,
      kind: 'missing',
    });
    // Rows 3 and 4 exchanged their seq: the entry stored as 3 is the one written fourth.
    const swapped = records.map((r, i) =>
      i === 2 ? { ...records[3]!, seq: 3 } : i === 3 ? { ...records[2]!, seq: 4 } : r,
    );
    const result = verifyAuditChain(swapped);
    expect(result).toMatchObject({ valid: false, checked: 2 });
    expect(result.brokenAt).toMatchObject({ seq: 3, kind: 'out_of_place' });
    expect(result.brokenAt!.reason).toContain('it follows the entry stored as 4');
  });

  it('reports a tail truncated (and a log deleted) since a checkpoint', () => {
    const records = chain(5);
    const checkpoint = {
      size: 5,
      headHash: records[4]!.hash,
      timestamp: '2026-01-02T00:00:00.000Z',
      keyId: 'k',
    };
    expect(verifyAuditChain(records, { checkpoint })).toMatchObject({ valid: true, checked: 5 });
    expect(verifyAuditChain(records.slice(0, 3), { checkpoint }).brokenAt).toEqual({
      seq: 4,
      kind: 'truncated',
      reason:
        'entries 4 to 5 are missing: the checkpoint signed at 2026-01-02T00:00:00.000Z covers 5 entries (the tail was truncated)',
    });
    expect(verifyAuditChain([], { checkpoint }).brokenAt).toMatchObject({ seq: 1, kind: 'truncated' });
    expect(verifyAuditChain([], { checkpoint }).brokenAt!.reason).toContain('the log was deleted');
    // A log rebuilt from entry 1 with valid hashes still differs from the signed head.
    const rebuilt = chain(5).map((r) => r);
    rebuilt[4] = chainAuditEntry({ tenantId: 't', action: 'forged', actor: 'm', timestamp: 'x' }, rebuilt[3]);
    expect(verifyAuditChain(rebuilt, { checkpoint }).brokenAt).toMatchObject({ seq: 5, kind: 'rewritten' });
  });
});
