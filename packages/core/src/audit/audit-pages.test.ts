import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import type { AuditRecord, AuditRow } from '../store/types.js';
import { auditRowPages, listAuditPage, verifyAuditRows } from './audit-pages.js';
import { auditRowOf, chainAuditEntry, verifyAuditChain } from './hash-chain.js';

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      chainAuditEntry(
        {
          tenantId: 't',
          action: 'run.started',
          actor: `u${i}`,
          data: { i },
          timestamp: `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`,
        },
        out.at(-1),
      ),
    );
  return out;
}

/** Reads rows in pages of 3, as a store would hand them out. */
const pages = (rows: AuditRow[]) =>
  async function* () {
    for (let i = 0; i < rows.length; i += 3) yield rows.slice(i, i + 3);
  };

describe('the audit log read page by page', () => {
  it('verifies rows exactly as verifyAuditChain verifies the records, naming the same first break', async () => {
    const records = chain(8);
    const checkpoint = { size: 8, headHash: records[7]!.hash, timestamp: 'T', keyId: 'k' };
    const swapped = records.map((r, i) =>
      i === 2 ? { ...records[3]!, seq: 3 } : i === 3 ? { ...records[2]!, seq: 4 } : r,
    );
    const forged = chainAuditEntry({ tenantId: 't', action: 'x', actor: 'm', timestamp: 'T' }, records[1]);
    const inserted = [
      ...records.slice(0, 2),
      forged,
      ...records.slice(2).map((r) => ({ ...r, seq: r.seq + 1 })),
    ];
    const cases: AuditRecord[][] = [
      records,
      records.map((r, i) => (i === 4 ? { ...r, actor: 'mallory' } : r)),
      records.map((r, i) => (i === 4 ? { ...r, timestamp: '2030-01-01T00:00:00.000Z' } : r)),
      records.map((r, i) => (i === 5 ? { ...r, prevHash: 'ab'.repeat(32) } : r)),
      records.filter((_, i) => i !== 3),
      swapped,
      inserted,
      records.slice(0, 5),
      [],
    ];
    for (const log of cases) {
      const rows = log.map(auditRowOf);
      for (const options of [{}, { checkpoint }]) {
        expect(await verifyAuditRows('t', pages(rows), options)).toEqual(verifyAuditChain(log, options));
      }
    }
    // A body edited in place (not re-encoded from a record) is named too.
    const rows = records.map(auditRowOf);
    rows[6] = { ...rows[6]!, body: rows[6]!.body.replace('"u6"', '"u7"') };
    expect((await verifyAuditRows('t', pages(rows))).brokenAt).toEqual({
      seq: 7,
      kind: 'altered',
      reason: 'entry 7 does not match its hash (it was altered)',
    });
  });

  it('pages a store with listAuditRows, and one without it from listAudit, to the same records', async () => {
    const store = new MemoryStore();
    const tenant = 'paged';
    const at = '2026-01-01T00:00:00.000Z';
    await store.commit({
      tenantId: tenant,
      runId: 'r',
      expectedVersion: 0,
      run: {
        runId: 'r',
        tenantId: tenant,
        segmentId: 's',
        segmentVersion: '1',
        status: 'completed',
        input: {},
        version: 1,
        lastSeq: 0,
        stepsCompleted: 0,
        createdAt: at,
        updatedAt: at,
      },
      audit: Array.from({ length: 7 }, (_, i) => ({
        tenantId: tenant,
        action: 'run.started',
        actor: 'ann',
        timestamp: `2026-01-0${i + 1}T00:00:00.000Z`,
      })),
    });
    const all = await store.listAudit(tenant);
    expect(all).toHaveLength(7);
    const plain = { listAudit: store.listAudit.bind(store) };
    for (const source of [store, plain]) {
      const read: AuditRow[][] = [];
      for await (const page of auditRowPages(source, tenant, { pageSize: 3 })) read.push(page);
      expect(read.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(read.flat()).toEqual(all.map(auditRowOf));
      expect(await listAuditPage(source, tenant, { afterSeq: 2, limit: 3 })).toEqual(all.slice(2, 5));
      expect(
        await listAuditPage(source, tenant, { limit: 10, from: all[1]!.timestamp, to: all[3]!.timestamp }),
      ).toEqual(all.slice(1, 4));
    }
    await expect(listAuditPage(store, tenant, { limit: 0 })).rejects.toMatchObject({
      code: 'LLMT_E_INVALID_ARGUMENT',
    });
  });
});
