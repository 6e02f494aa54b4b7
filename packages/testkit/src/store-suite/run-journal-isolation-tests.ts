import {
  type AuditRow,
  auditRecordFromRow,
  canonicalJson,
  sha256,
  verifyAuditChain,
  verifyAuditRows,
} from '@llmteam/core';
import {
  advanceRun,
  at,
  sampleAudit,
  sampleEvent,
  sampleInteraction,
  sampleRun,
  sampleSnapshot,
  sampleStep,
  sampleTimer,
  startRun,
  uniqueId,
} from '../store-fixtures.js';
import type { RunJournalSuiteContext } from './run-journal-context.js';

/** Tenant isolation on every read, byte-exact snapshots and the audit chain. */
export function isolationTests({ test, expect, withStore, concurrency }: RunJournalSuiteContext): void {
  test('keeps tenants apart on every read', () =>
    withStore(async (store) => {
      const a = uniqueId('ta');
      const b = uniqueId('tb');
      const run = await startRun(store, a, 'shared-id', {
        steps: [sampleStep(a, 'shared-id', 's1')],
        timers: { add: [sampleTimer(a, 'shared-id', 'tm-1', at(10))] },
        interactions: [sampleInteraction(a, 'shared-id', 'int-1')],
        audit: [sampleAudit(a, 'run.started')],
        runOverrides: { idempotencyKey: 'k' },
      });
      await advanceRun(store, run, 1, { snapshots: [sampleSnapshot(run, [], 'snap-1')] });
      await store.putApiKey({
        keyId: 'key-1',
        tenantId: a,
        secretHash: sha256(uniqueId('secret')),
        roles: ['admin'],
        subject: 'ana',
        groups: [],
        createdAt: at(),
      });
      await store.putSegment({
        tenantId: a,
        segmentId: 'seg-a',
        version: '1.0.0',
        name: 'A',
        definition: { steps: [] },
        createdAt: at(),
      });
      await store.putTenant({ tenantId: a, name: 'A', tier: 'free', limits: {}, createdAt: at() });

      expect(await store.getRun(b, 'shared-id')).toBeUndefined();
      expect(await store.findRunByIdempotencyKey(b, 'k')).toBeUndefined();
      expect((await store.listRuns(b)).items).toEqual([]);
      expect(await store.getSteps(b, 'shared-id')).toEqual([]);
      expect(await store.listEvents(b, 'shared-id')).toEqual([]);
      expect(await store.getInteraction(b, 'int-1')).toBeUndefined();
      expect(await store.listInteractions(b)).toEqual([]);
      expect(await store.listTimers(b, 'shared-id')).toEqual([]);
      expect(await store.getSnapshot(b, 'snap-1')).toBeUndefined();
      expect(await store.listSnapshots(b, 'shared-id')).toEqual([]);
      expect(await store.listAudit(b)).toEqual([]);
      expect(await store.listApiKeys(b)).toEqual([]);
      expect(await store.getSegment(b, 'seg-a')).toBeUndefined();
      expect(await store.listSegments(b)).toEqual([]);
      expect(await store.getTenant(b)).toBeUndefined();

      // The same run id in tenant b is a different run: creating it does not conflict.
      await startRun(store, b, 'shared-id');
      expect((await store.getRun(a, 'shared-id'))?.version).toBe(2);
      expect(await store.listEvents(b, 'shared-id')).toHaveLength(1);
      expect(await store.listEvents(a, 'shared-id')).toHaveLength(2);
      // Erasing b's run leaves a's alone.
      await store.eraseRun(b, 'shared-id', sampleAudit(b, 'run.erased'));
      expect((await store.getRun(a, 'shared-id'))?.version).toBe(2);
      expect(await store.getSteps(a, 'shared-id')).toHaveLength(1);
      expect(await store.listTimers(a, 'shared-id')).toHaveLength(1);
    }));

  test('returns a snapshot exactly as stored, with its checksum byte-exact', () =>
    withStore(async (store) => {
      const t = uniqueId('t');
      const run = await startRun(store, t, 'run-1');
      const tricky = sampleRun(t, 'run-1', {
        input: {
          'z-key': 1,
          a: [0.1, 1e21, -5, true, null, { nested: { deep: ['é', '🙂', '\u0000', '"quoted"'] } }],
          empty: {},
          list: [],
        },
      });
      const steps = [
        sampleStep(t, 'run-1', 'a', { outputs: { out: 'x'.repeat(5000) } }),
        sampleStep(t, 'run-1', 'b', {
          status: 'failed',
          error: { code: 'E', message: 'boom', retryable: false },
        }),
      ];
      const snap = sampleSnapshot(tricky, steps, 'snap-1');
      const snap2 = { ...sampleSnapshot(run, [], 'snap-2', at(60)), reason: 'auto' as const, seq: 2 };
      await advanceRun(store, run, 1, { snapshots: [snap, snap2] });
      const read = await store.getSnapshot(t, 'snap-1');
      expect(read).toEqual(snap);
      expect(read?.checksum).toBe(snap.checksum);
      expect(sha256(canonicalJson(read?.state))).toBe(snap.checksum);
      expect((await store.listSnapshots(t, 'run-1')).map((s) => s.snapshotId)).toEqual(['snap-1', 'snap-2']);
      expect(await store.getSnapshot(t, 'no-such')).toBeUndefined();
    }));

  test('chains audit entries per tenant into a chain that verifies, also under concurrent commits', () =>
    withStore(async (store) => {
      const a = uniqueId('ta');
      const b = uniqueId('tb');
      const result = await store.commit({
        tenantId: a,
        runId: 'run-1',
        expectedVersion: 0,
        run: sampleRun(a, 'run-1', { lastSeq: 1 }),
        events: [sampleEvent(a, 'run-1', 1, 'run.started')],
        audit: [
          sampleAudit(a, 'run.started', at(1), 'run-1'),
          sampleAudit(a, 'step.started', at(2), 'run-1'),
        ],
      });
      expect(result.audit.map((r) => r.seq)).toEqual([1, 2]);
      expect(result.audit[1].prevHash).toBe(result.audit[0].hash);
      await startRun(store, b, 'run-1', { audit: [sampleAudit(b, 'run.started', at(1))] });
      // Concurrent commits of different runs of one tenant all append to one chain.
      await Promise.all(
        Array.from({ length: concurrency }, (_, i) =>
          startRun(store, a, `run-c${i}`, {
            audit: [sampleAudit(a, 'run.started', at(10 + i), `run-c${i}`)],
          }),
        ),
      );
      await store.eraseRun(a, 'run-c0', sampleAudit(a, 'run.erased', at(100), 'run-c0'));
      const chain = await store.listAudit(a);
      expect(chain.map((r) => r.seq)).toEqual(Array.from({ length: 3 + concurrency }, (_, i) => i + 1));
      expect(chain.slice(0, 2)).toEqual(result.audit);
      expect(verifyAuditChain(chain).valid).toBe(true);
      expect(verifyAuditChain(await store.listAudit(b)).valid).toBe(true);
      expect(await store.listAudit(b)).toHaveLength(1);
      const ranged = await store.listAudit(a, { from: at(2), to: at(11) });
      expect(ranged.map((r) => r.timestamp).sort()).toEqual([at(2), at(10), at(11)]);
      // A tampered copy fails verification, so the check above can fail.
      expect(verifyAuditChain(chain.map((r, i) => (i === 1 ? { ...r, actor: 'mallory' } : r))).valid).toBe(
        false,
      );
    }));

  test('pages the audit log as stored (listAuditRows): rows in seq order after afterSeq, decoding to listAudit, per tenant', () =>
    withStore(async (store) => {
      if (typeof store.listAuditRows !== 'function') return;
      const a = uniqueId('ta');
      const b = uniqueId('tb');
      await startRun(store, a, 'run-1', {
        audit: Array.from({ length: 7 }, (_, i) => sampleAudit(a, 'run.started', at(i + 1), 'run-1')),
      });
      await startRun(store, b, 'run-1', { audit: [sampleAudit(b, 'run.started', at(1))] });
      const chain = await store.listAudit(a);
      const pages: AuditRow[][] = [];
      for (let afterSeq = 0; ; ) {
        const page = await store.listAuditRows!(a, { afterSeq, limit: 3 });
        if (!page.length) break;
        pages.push(page);
        afterSeq = page[page.length - 1]!.seq;
      }
      expect(pages.map((p) => p.map((r) => r.seq))).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
      expect(pages.flat().map((r) => auditRecordFromRow(a, r))).toEqual(chain);
      // Rows verify from their stored text alone, and a row changed in place does not.
      const rows = pages.flat();
      const read = async function* () {
        yield rows;
      };
      const verified = await verifyAuditRows(a, read);
      expect([verified.valid, verified.checked, verified.headHash]).toEqual([true, 7, chain[6]!.hash]);
      rows[3] = { ...rows[3]!, timestamp: at(99) };
      expect((await verifyAuditRows(a, read)).brokenAt?.seq).toBe(4);
      expect(await store.listAuditRows!(a, { afterSeq: 7, limit: 3 })).toEqual([]);
      expect(await store.listAuditRows!(a, { limit: 2 })).toEqual(pages[0]!.slice(0, 2));
      expect((await store.listAuditRows!(b, { afterSeq: 0, limit: 10 })).map((r) => r.seq)).toEqual([1]);
      expect(await store.listAuditRows!(uniqueId('none'), { limit: 10 })).toEqual([]);
      const refused = await store.listAuditRows!(a, { limit: 0 }).then(
        () => undefined,
        (error: { code?: string }) => error.code,
      );
      expect(refused).toBe('LLMT_E_INVALID_ARGUMENT');
    }));
}
