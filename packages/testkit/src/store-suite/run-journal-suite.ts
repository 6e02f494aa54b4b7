import {
  canonicalJson,
  isLlmteamError,
  queryEvents,
  type RunRecord,
  type Store,
  sha256,
  verifyAuditChain,
  type WorktrailEvent,
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
import { snapshotConformanceSuite } from './snapshot-suite.js';
import { type StoreConformanceOptions, storeSuiteSupport } from './suite-support.js';

/**
 * Conformance of a store's run journal: atomic commits, optimistic concurrency, gapless
 * event logs, tenant isolation on every read, snapshots, the audit chain, listing, erasure
 * and (with `reopen`) durability.
 */
export function runJournalConformanceSuite(options: StoreConformanceOptions): void {
  const { test, expect, describe } = options;
  const { withStore, expectConflict, dump } = storeSuiteSupport(options);
  const concurrency = options.concurrency ?? 8;

  describe(`${options.name} run journal`, () => {
    test('commits a new run and reads back its header, steps, events, timers and interactions', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const run = await startRun(store, t, 'run-1', {
          steps: [
            sampleStep(t, 'run-1', 'a', { inputs: { in: 1 }, startedAt: at(1) }),
            sampleStep(t, 'run-1', 'b', { status: 'pending', outputs: undefined }),
          ],
          events: [
            sampleEvent(t, 'run-1', 1, 'run.started'),
            sampleEvent(t, 'run-1', 2, 'step.started', 'a'),
          ],
          timers: { add: [sampleTimer(t, 'run-1', 'tm-1', at(1000))] },
          interactions: [sampleInteraction(t, 'run-1', 'int-1')],
          runOverrides: { lastSeq: 2, idempotencyKey: 'key-1' },
        });
        expect(await store.getRun(t, 'run-1')).toEqual(run);
        const steps = (await store.getSteps(t, 'run-1')).sort((a, b) => (a.stepId < b.stepId ? -1 : 1));
        expect(steps).toEqual([
          sampleStep(t, 'run-1', 'a', { inputs: { in: 1 }, startedAt: at(1) }),
          sampleStep(t, 'run-1', 'b', { status: 'pending', outputs: undefined }),
        ]);
        expect(await store.listEvents(t, 'run-1')).toEqual([
          sampleEvent(t, 'run-1', 1, 'run.started'),
          sampleEvent(t, 'run-1', 2, 'step.started', 'a'),
        ]);
        expect(await store.listTimers(t, 'run-1')).toEqual([sampleTimer(t, 'run-1', 'tm-1', at(1000))]);
        expect(await store.getInteraction(t, 'int-1')).toEqual(sampleInteraction(t, 'run-1', 'int-1'));

        // A later commit replaces only the step it names and appends after the last seq.
        const next = await advanceRun(store, run, 1, {
          steps: [sampleStep(t, 'run-1', 'b', { outputs: { out: 'b2' } })],
        });
        expect(await store.getRun(t, 'run-1')).toEqual(next);
        const after = (await store.getSteps(t, 'run-1')).sort((a, b) => (a.stepId < b.stepId ? -1 : 1));
        expect(after.map((s) => s.outputs)).toEqual([{ out: 'a done' }, { out: 'b2' }]);
        expect((await store.listEvents(t, 'run-1')).map((e) => e.seq)).toEqual([1, 2, 3]);
      }));

    test('returns large step outputs, inputs and run outputs unchanged', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const big = {
          text: 'x'.repeat(100_000),
          list: Array.from({ length: 500 }, (_, i) => ({ i, s: `é${i}` })),
        };
        const run = await startRun(store, t, 'run-big', {
          steps: [sampleStep(t, 'run-big', 'a', { outputs: { out: big, small: 1 } })],
        });
        await advanceRun(store, run, 1, {
          status: 'completed',
          steps: [sampleStep(t, 'run-big', 'b', { inputs: { in: big }, outputs: { out: big } })],
        });
        const done = {
          ...run,
          status: 'completed' as const,
          version: 3,
          lastSeq: 3,
          outputs: { b: { out: big } },
          completedAt: at(9),
        };
        await store.commit({
          tenantId: t,
          runId: 'run-big',
          expectedVersion: 2,
          run: done,
          events: [sampleEvent(t, 'run-big', 3, 'run.completed')],
        });
        const steps = (await store.getSteps(t, 'run-big')).sort((a, b) => (a.stepId < b.stepId ? -1 : 1));
        expect(steps[0].outputs).toEqual({ out: big, small: 1 });
        expect(steps[1].inputs).toEqual({ in: big });
        expect(steps[1].outputs).toEqual({ out: big });
        expect(await store.getRun(t, 'run-big')).toEqual(done);
      }));

    test('rejects a commit at a stale version and leaves nothing of it', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const run = await startRun(store, t, 'run-1', {
          timers: { add: [sampleTimer(t, 'run-1', 'tm-keep', at(500))] },
          audit: [sampleAudit(t, 'run.started')],
        });
        const before = await dump(store, t, 'run-1');
        await expectConflict(
          store.commit({
            tenantId: t,
            runId: 'run-1',
            expectedVersion: 5,
            run: { ...run, version: 6, lastSeq: 2, status: 'completed' },
            steps: [sampleStep(t, 'run-1', 'a')],
            events: [sampleEvent(t, 'run-1', 2)],
            interactions: [sampleInteraction(t, 'run-1', 'int-x')],
            timers: { add: [sampleTimer(t, 'run-1', 'tm-new', at(10))], remove: ['tm-keep'] },
            snapshots: [sampleSnapshot(run, [], 'snap-x')],
            audit: [sampleAudit(t, 'run.completed')],
          }),
        );
        expect(await dump(store, t, 'run-1')).toEqual(before);
        expect(await store.getInteraction(t, 'int-x')).toBeUndefined();
        expect(await store.getSnapshot(t, 'snap-x')).toBeUndefined();
      }));

    test('rejects a stale commit of steps, events and snapshots alone and leaves nothing of it', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const run = await startRun(store, t, 'run-1', {
          steps: [sampleStep(t, 'run-1', 'a', { status: 'running' })],
        });
        const next = await advanceRun(store, run, 1, { steps: [sampleStep(t, 'run-1', 'a')] });
        const before = await dump(store, t, 'run-1');
        // A second writer still at version 1, as a step commit with nothing else would be.
        await expectConflict(
          advanceRun(store, run, 2, {
            steps: [
              sampleStep(t, 'run-1', 'a', { outputs: { out: 'z'.repeat(4000) } }),
              sampleStep(t, 'run-1', 'b'),
            ],
            snapshots: [sampleSnapshot(run, [], 'snap-stale')],
          }),
        );
        expect(await dump(store, t, 'run-1')).toEqual(before);
        expect(await store.getSnapshot(t, 'snap-stale')).toBeUndefined();
        expect((await store.getRun(t, 'run-1'))?.version).toBe(next.version);
      }));

    test('rejects creating a run that already exists and leaves nothing of it', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        await startRun(store, t, 'run-1');
        const before = await dump(store, t, 'run-1');
        await expectConflict(
          startRun(store, t, 'run-1', {
            steps: [sampleStep(t, 'run-1', 'a')],
            timers: { add: [sampleTimer(t, 'run-1', 'tm-new', at(10))] },
            interactions: [sampleInteraction(t, 'run-1', 'int-x')],
            audit: [sampleAudit(t, 'run.started')],
            runOverrides: { status: 'pending' },
          }),
        );
        expect(await dump(store, t, 'run-1')).toEqual(before);
      }));

    test('rejects a commit whose consumed timer is gone and leaves nothing of it', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const run = await startRun(store, t, 'run-1', {
          timers: { add: [sampleTimer(t, 'run-1', 'tm-1', at(10))] },
        });
        const before = await dump(store, t, 'run-1');
        await expectConflict(
          advanceRun(store, run, 2, {
            steps: [sampleStep(t, 'run-1', 'a')],
            // tm-1 exists, tm-gone does not: the whole commit fails, tm-1 included.
            timers: { consume: ['tm-1', 'tm-gone'], add: [sampleTimer(t, 'run-1', 'tm-2', at(20))] },
            audit: [sampleAudit(t, 'timer.fired')],
          }),
        );
        expect(await dump(store, t, 'run-1')).toEqual(before);
      }));

    test('rejects events whose seq does not continue the run and leaves nothing of them', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const run = await startRun(store, t, 'run-1');
        const before = await dump(store, t, 'run-1');
        await expectConflict(
          store.commit({
            tenantId: t,
            runId: 'run-1',
            expectedVersion: 1,
            run: { ...run, version: 2, lastSeq: 3 },
            steps: [sampleStep(t, 'run-1', 'a')],
            events: [sampleEvent(t, 'run-1', 3)],
            audit: [sampleAudit(t, 'x')],
          }),
        );
        expect(await dump(store, t, 'run-1')).toEqual(before);
      }));

    test('finds a run by idempotency key and refuses the key to a second run', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const first = await startRun(store, t, 'run-1', { runOverrides: { idempotencyKey: 'order-42' } });
        expect(await store.findRunByIdempotencyKey(t, 'order-42')).toEqual(first);
        expect(await store.findRunByIdempotencyKey(t, 'order-43')).toBeUndefined();
        await expectConflict(startRun(store, t, 'run-2', { runOverrides: { idempotencyKey: 'order-42' } }));
        expect(await store.getRun(t, 'run-2')).toBeUndefined();
        expect(await store.listEvents(t, 'run-2')).toEqual([]);
        // The same key in another tenant is another key.
        const other = uniqueId('t');
        await startRun(store, other, 'run-2', { runOverrides: { idempotencyKey: 'order-42' } });
        expect((await store.findRunByIdempotencyKey(other, 'order-42'))?.runId).toBe('run-2');
      }));

    test('lets exactly one of two commits at the same version win', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const run = await startRun(store, t, 'run-1');
        const results = await Promise.allSettled([
          advanceRun(store, run, 1, { steps: [sampleStep(t, 'run-1', 'a')] }),
          advanceRun(store, run, 2, { steps: [sampleStep(t, 'run-1', 'b')] }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect((rejected.reason as { code?: string }).code).toBe('LLMT_E_CONFLICT');
        const winner = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<RunRecord>)
          .value;
        expect(await store.getRun(t, 'run-1')).toEqual(winner);
        expect((await store.listEvents(t, 'run-1')).map((e) => e.seq)).toEqual(
          Array.from({ length: winner.lastSeq }, (_, i) => i + 1),
        );
        expect(await store.getSteps(t, 'run-1')).toHaveLength(1);
      }));

    test(
      'keeps each run’s event log gapless under many concurrent committers that retry on conflict',
      () =>
        withStore(async (store) => {
          const t = uniqueId('t');
          await startRun(store, t, 'run-1');
          const perWriter = 6;
          let conflicts = 0;
          await Promise.all(
            Array.from({ length: concurrency }, async (_, w) => {
              for (let done = 0; done < perWriter; ) {
                const current = (await store.getRun(t, 'run-1'))!;
                try {
                  await advanceRun(store, current, 1 + (w % 2), {
                    steps: [sampleStep(t, 'run-1', `w${w}`, { attempt: done + 1 })],
                  });
                  done++;
                } catch (error) {
                  if ((error as { code?: string }).code !== 'LLMT_E_CONFLICT') throw error;
                  conflicts++;
                }
              }
            }),
          );
          const run = (await store.getRun(t, 'run-1'))!;
          expect(run.version).toBe(1 + concurrency * perWriter);
          const events = await store.listEvents(t, 'run-1');
          expect(events.map((e) => e.seq)).toEqual(Array.from({ length: run.lastSeq }, (_, i) => i + 1));
          expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
          expect(await store.getSteps(t, 'run-1')).toHaveLength(concurrency);
          // Not asserted > 0: a store that serializes commits may never see a conflict.
          void conflicts;
        }),
      60_000,
    );

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
        expect((await store.listSnapshots(t, 'run-1')).map((s) => s.snapshotId)).toEqual([
          'snap-1',
          'snap-2',
        ]);
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

    test('lists runs newest first, in pages, filtered by status and segment', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        for (let i = 0; i < 7; i++) {
          await startRun(store, t, `run-${i}`, {
            runOverrides: {
              createdAt: at(i * 1000),
              status: i % 2 ? 'completed' : 'running',
              segmentId: i < 5 ? 'seg-a' : 'seg-b',
            },
          });
        }
        const ids: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.listRuns(t, { limit: 3, after: cursor });
          ids.push(...page.items.map((r) => r.runId));
          cursor = page.nextCursor;
          pages++;
        } while (cursor && pages < 10);
        expect(ids).toEqual(['run-6', 'run-5', 'run-4', 'run-3', 'run-2', 'run-1', 'run-0']);
        expect(pages).toBe(3);
        expect((await store.listRuns(t, { status: 'completed' })).items.map((r) => r.runId)).toEqual([
          'run-5',
          'run-3',
          'run-1',
        ]);
        expect((await store.listRuns(t, { segmentId: 'seg-b' })).items.map((r) => r.runId)).toEqual([
          'run-6',
          'run-5',
        ]);
        const filtered = await store.listRuns(t, { segmentId: 'seg-a', status: 'running', limit: 2 });
        expect(filtered.items.map((r) => r.runId)).toEqual(['run-4', 'run-2']);
        expect(
          (
            await store.listRuns(t, {
              segmentId: 'seg-a',
              status: 'running',
              limit: 2,
              after: filtered.nextCursor,
            })
          ).items.map((r) => r.runId),
        ).toEqual(['run-0']);
        expect((await store.listRuns(t, { limit: 7 })).nextCursor).toBeUndefined();
      }));

    test('lists events after a seq with a limit, and interactions by status and run', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const run = await startRun(store, t, 'run-1', {
          interactions: [
            sampleInteraction(t, 'run-1', 'i-1', { createdAt: at(1) }),
            sampleInteraction(t, 'run-1', 'i-2', { createdAt: at(2), status: 'completed' }),
          ],
        });
        await advanceRun(store, run, 5, {
          interactions: [sampleInteraction(t, 'run-1', 'i-1', { createdAt: at(1), status: 'notified' })],
        });
        await startRun(store, t, 'run-2', {
          interactions: [sampleInteraction(t, 'run-2', 'i-3', { createdAt: at(3) })],
        });
        expect((await store.listEvents(t, 'run-1', { afterSeq: 2 })).map((e) => e.seq)).toEqual([3, 4, 5, 6]);
        expect((await store.listEvents(t, 'run-1', { afterSeq: 2, limit: 2 })).map((e) => e.seq)).toEqual([
          3, 4,
        ]);
        expect(await store.listEvents(t, 'run-1', { afterSeq: 6 })).toEqual([]);
        const ids = async (o: Parameters<Store['listInteractions']>[1]) =>
          (await store.listInteractions(t, o)).map((i) => i.interactionId);
        expect(await ids({})).toEqual(['i-1', 'i-2', 'i-3']);
        expect(await ids({ status: 'notified' })).toEqual(['i-1']);
        expect(await ids({ status: ['pending', 'completed'] })).toEqual(['i-2', 'i-3']);
        expect(await ids({ runId: 'run-2' })).toEqual(['i-3']);
        expect((await store.getInteraction(t, 'i-1'))?.status).toBe('notified');
      }));

    test('queries events across runs by type, step, run, segment and time, in pages ordered by time', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const other = uniqueId('t');
        // Events at times out of seq order across runs; two runs share a timestamp.
        const ev = (
          runId: string,
          seq: number,
          type: string,
          ms: number,
          stepId?: string,
        ): WorktrailEvent => ({
          ...sampleEvent(t, runId, seq, type, stepId),
          timestamp: at(ms),
        });
        await startRun(store, t, 'run-a', {
          runOverrides: { segmentId: 'seg-a' },
          events: [
            ev('run-a', 1, 'run.started', 100),
            ev('run-a', 2, 'step.started', 200, 'price'),
            ev('run-a', 3, 'step.completed', 500, 'price'),
            ev('run-a', 4, 'step.started', 500, 'approve'),
          ],
        });
        await startRun(store, t, 'run-b', {
          runOverrides: { segmentId: 'seg-b' },
          events: [
            ev('run-b', 1, 'run.started', 150),
            ev('run-b', 2, 'step.started', 300, 'price'),
            ev('run-b', 3, 'step.completed', 500, 'price'),
          ],
        });
        await startRun(store, other, 'run-a', {
          events: [{ ...sampleEvent(other, 'run-a', 1, 'step.completed', 'price'), timestamp: at(400) }],
        });
        const keys = async (q: Parameters<typeof queryEvents>[2]) =>
          (await queryEvents(store, t, q)).items.map((e) => `${e.run_id}:${e.seq}`);

        expect(await keys({})).toEqual([
          'run-a:1',
          'run-b:1',
          'run-a:2',
          'run-b:2',
          'run-a:3',
          'run-a:4',
          'run-b:3',
        ]);
        expect(await keys({ types: ['step.completed'] })).toEqual(['run-a:3', 'run-b:3']);
        expect(await keys({ types: ['run.started', 'step.completed'] })).toEqual([
          'run-a:1',
          'run-b:1',
          'run-a:3',
          'run-b:3',
        ]);
        expect(await keys({ stepId: 'price', types: ['step.started'] })).toEqual(['run-a:2', 'run-b:2']);
        expect(await keys({ runId: 'run-b' })).toEqual(['run-b:1', 'run-b:2', 'run-b:3']);
        expect(await keys({ segmentId: 'seg-a', types: ['step.started'] })).toEqual(['run-a:2', 'run-a:4']);
        expect(await keys({ from: at(200), to: at(300) })).toEqual(['run-a:2', 'run-b:2']);
        expect(await keys({ types: ['nothing.here'] })).toEqual([]);
        expect(await keys({ runId: 'run-missing' })).toEqual([]);
        const [first] = (await queryEvents(store, t, { types: ['step.completed'] })).items;
        expect(first).toEqual(ev('run-a', 3, 'step.completed', 500, 'price'));

        // Pages of 2 walk the same order without gap or repeat.
        const walked: string[] = [];
        let after: string | undefined;
        let pages = 0;
        do {
          const page = await queryEvents(store, t, { limit: 2, after });
          walked.push(...page.items.map((e) => `${e.run_id}:${e.seq}`));
          after = page.nextCursor;
          pages++;
        } while (after && pages < 10);
        expect(walked).toEqual(await keys({}));
        expect(pages).toBe(4);
        expect((await queryEvents(store, t, { limit: 7 })).nextCursor).toBeUndefined();

        const refused = async (q: Parameters<typeof queryEvents>[2]) => {
          try {
            await queryEvents(store, t, q);
            return 'no error';
          } catch (error) {
            return isLlmteamError(error) ? error.code : String(error);
          }
        };
        expect(await refused({ after: 'not-a-cursor' })).toBe('LLMT_E_INVALID_ARGUMENT');
        expect(await refused({ limit: 0 })).toBe('LLMT_E_INVALID_ARGUMENT');
        expect(await refused({ from: 'yesterday' })).toBe('LLMT_E_INVALID_ARGUMENT');
      }));

    test('erases a run and everything derived from it, leaving the audit entry of the erasure', () =>
      withStore(async (store) => {
        const t = uniqueId('t');
        const big = { out: 'y'.repeat(50_000) };
        const run = await startRun(store, t, 'run-1', {
          steps: [sampleStep(t, 'run-1', 'a', { outputs: big })],
          interactions: [sampleInteraction(t, 'run-1', 'int-1')],
          timers: { add: [sampleTimer(t, 'run-1', 'tm-1', at(10))] },
          audit: [sampleAudit(t, 'run.started', at(1), 'run-1')],
          runOverrides: { idempotencyKey: 'erase-me' },
        });
        await advanceRun(store, run, 1, { snapshots: [sampleSnapshot(run, [], 'snap-1')] });
        await startRun(store, t, 'run-keep', { steps: [sampleStep(t, 'run-keep', 'a', { outputs: big })] });
        await store.eraseRun(t, 'run-1', sampleAudit(t, 'run.erased', at(2), 'run-1'));
        const after = (await dump(store, t, 'run-1')) as { audit: Array<{ action: string }> };
        expect({ ...after, audit: undefined }).toEqual({
          run: undefined,
          steps: [],
          events: [],
          timers: [],
          interactions: [],
          snapshots: [],
          audit: undefined,
        });
        expect(after.audit.map((r) => r.action)).toEqual(['run.started', 'run.erased']);
        expect(verifyAuditChain(await store.listAudit(t)).valid).toBe(true);
        expect(await store.getInteraction(t, 'int-1')).toBeUndefined();
        expect(await store.getSnapshot(t, 'snap-1')).toBeUndefined();
        expect(await store.findRunByIdempotencyKey(t, 'erase-me')).toBeUndefined();
        expect((await store.listRuns(t)).items.map((r) => r.runId)).toEqual(['run-keep']);
        expect((await store.getSteps(t, 'run-keep'))[0].outputs).toEqual(big);
        // The id and the key are free again.
        await startRun(store, t, 'run-1', { runOverrides: { idempotencyKey: 'erase-me' } });
      }));

    const reopen = options.reopen;
    if (reopen) {
      test('keeps runs, events, timers and the audit chain after the store is reopened', async () => {
        let store = await options.create();
        await store.init();
        try {
          const t = uniqueId('t');
          const run = await startRun(store, t, 'run-1', {
            steps: [sampleStep(t, 'run-1', 'a', { outputs: { out: 'z'.repeat(3000) } })],
            timers: { add: [sampleTimer(t, 'run-1', 'tm-1', at(10))] },
            audit: [sampleAudit(t, 'run.started')],
          });
          const next = await advanceRun(store, run, 3, { audit: [sampleAudit(t, 'step.completed')] });
          const before = await dump(store, t, 'run-1');
          store = await reopen(store);
          await store.init();
          expect(await dump(store, t, 'run-1')).toEqual(before);
          expect((await store.listEvents(t, 'run-1', { afterSeq: 1 })).map((e) => e.seq)).toEqual([2, 3, 4]);
          // The reopened store continues where the old one stopped.
          await advanceRun(store, next, 1);
          await expectConflict(advanceRun(store, next, 1));
          expect(verifyAuditChain(await store.listAudit(t)).valid).toBe(true);
        } finally {
          await (options.destroy ? options.destroy(store) : store.close());
        }
      });
    }
  });
  snapshotConformanceSuite(options);
}
