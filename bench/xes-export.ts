/**
 * XES export of 100,000 events (1,000 runs of 50 steps, a start and a complete per step).
 * Run with `--expose-gc` (memory figures need it).
 *
 * - `eventsPerSec`: events written per second by `exportXes`, all chunks consumed.
 *   Target: >= 50,000 events/s. `readEventsPerSec` is the bare store read of the same
 *   events in the same pages (what the export wraps), measured in the same run.
 * - `retainedHeapBytes` at 10,000 and at 100,000 events: the highest live heap (after a
 *   full GC every 32 chunks) during the export, above the heap before it. Target: flat
 *   (`growthRatio` ~1 for ten times the events, not ~10).
 * - The same on SQLite (a file on disk), the store most deployments start with.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { exportXes, MemoryStore, type RunRecord, type Store, type WorktrailEvent } from '@llmteam/core';
import { SqliteStore } from '@llmteam/store-sqlite';

const STEPS = 50;
const gc = (globalThis as { gc?: () => void }).gc;

async function heap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

/** Commits `runs` finished runs of STEPS transform steps, 2 events per step. */
async function fill(store: Store, runs: number, offset = 0): Promise<void> {
  await store.putSegment({
    tenantId: 'default',
    segmentId: 'bench_xes',
    version: '1.0.0',
    name: 'bench_xes',
    definition: {
      segment_id: 'bench_xes',
      steps: Array.from({ length: STEPS }, (_, i) => ({
        step_id: `s${i}`,
        step_type: 'transform',
        config: { expression: '$' },
      })),
    },
    createdAt: new Date(0).toISOString(),
  });
  const base = Date.parse('2026-01-01T00:00:00Z');
  for (let r = offset; r < offset + runs; r++) {
    const runId = `run-${String(r).padStart(6, '0')}`;
    const t0 = base + r * 60_000;
    const events: WorktrailEvent[] = [];
    for (let i = 0; i < STEPS; i++) {
      for (const [k, type] of (['step.started', 'step.completed'] as const).entries()) {
        const seq = events.length + 1;
        events.push({
          event_id: `${runId}.${seq}`,
          tenant_id: 'default',
          run_id: runId,
          seq,
          type,
          step_id: `s${i}`,
          timestamp: new Date(t0 + i * 1000 + k * 400).toISOString(),
          data: k === 0 ? { attempt: 1, iteration: 0 } : { attempt: 1, ports: ['output'], duration_ms: 400 },
        });
      }
    }
    const run: RunRecord = {
      runId,
      tenantId: 'default',
      segmentId: 'bench_xes',
      segmentVersion: '1.0.0',
      status: 'completed',
      input: {},
      version: 1,
      lastSeq: events.length,
      stepsCompleted: STEPS,
      createdAt: new Date(t0).toISOString(),
      updatedAt: new Date(t0 + STEPS * 1000).toISOString(),
      completedAt: new Date(t0 + STEPS * 1000).toISOString(),
    };
    await store.commit({ tenantId: 'default', runId, expectedVersion: 0, run, events });
  }
}

/** Exports everything and consumes the chunks; returns events/s. */
async function exportAll(store: Store, events: number): Promise<number> {
  let chars = 0;
  const start = performance.now();
  for await (const chunk of exportXes(store, { segmentId: 'bench_xes' })) chars += chunk.length;
  const ms = performance.now() - start;
  if (chars === 0) throw new Error('empty export');
  return Math.round(events / (ms / 1000));
}

/** Exports everything with a full GC every 32 chunks; the highest live heap above the start. */
async function retainedDuringExport(store: Store): Promise<number> {
  const before = await heap();
  let peak = before;
  let chunks = 0;
  for await (const _chunk of exportXes(store, { segmentId: 'bench_xes' })) {
    if (++chunks % 32 === 0) {
      gc?.();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
  }
  return Math.max(0, peak - before);
}

/** The bare read the export wraps: every run's events, page by page. */
async function readAll(store: Store, events: number): Promise<number> {
  const start = performance.now();
  let n = 0;
  let after: string | undefined;
  do {
    const page = await store.listRuns('default', { segmentId: 'bench_xes', limit: 500, after });
    for (const run of page.items) {
      for (let seq = 0; seq < run.lastSeq; ) {
        const batch = await store.listEvents('default', run.runId, { afterSeq: seq, limit: 500 });
        n += batch.length;
        seq = batch[batch.length - 1].seq;
      }
    }
    after = page.nextCursor;
  } while (after);
  if (n !== events) throw new Error(`read ${n} events, expected ${events}`);
  return Math.round(events / ((performance.now() - start) / 1000));
}

async function measure(store: Store): Promise<Record<string, unknown>> {
  await fill(store, 100);
  await exportAll(store, 10_000); // warm-up
  const at10k = await retainedDuringExport(store);
  await fill(store, 900, 100);
  const readEventsPerSec = await readAll(store, 100_000);
  const eventsPerSec = await exportAll(store, 100_000);
  const at100k = await retainedDuringExport(store);
  return {
    events: 100_000,
    eventsPerSec,
    readEventsPerSec,
    retainedHeapBytes: { at10k, at100k },
    growthRatio: Math.round((at100k / Math.max(1, at10k)) * 100) / 100,
    target: 'eventsPerSec >= 50000; retained heap flat (growthRatio ~1 for 10x the events)',
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const memory = await measure(new MemoryStore());
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-bench-xes-'));
  const sqlite = new SqliteStore({ path: join(dir, 'xes.sqlite') });
  await sqlite.init();
  try {
    return { memory, sqlite: await measure(sqlite) };
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
