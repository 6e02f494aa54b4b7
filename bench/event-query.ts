/**
 * Event queries over a SQLite store holding 1,000,000 events (10,000 runs of 100 events,
 * bulk-inserted in the setup), first page of 100, p50 / p99 over 200 queries each:
 *
 * - `byType`: a common type (10% of all events), `byRareType` (0.1%), `byTypeAndSegment`
 *   (one of ten segments), `byTimeRange` (a one-hour window), `byTypeAfterCursor` (the
 *   page after a cursor deep into the log).
 * - `bareRunRead` is the baseline in the same run: one run's first 100 events by primary
 *   key (`listEvents`), the cheapest read the store has.
 *
 * Target: first page p99 < 50 ms for the type queries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type EventQuery, queryEvents } from '@llmteam/core';
import { SqliteStore } from '@llmteam/store-sqlite';

const RUNS = 10_000;
const PER_RUN = 100;
const TENANT = 'default';
const BASE = Date.parse('2026-01-01T00:00:00Z');
/** Nine common types (one in ten events each, with `step.completed` the one queried) and a rare one. */
const COMMON = [
  'run.started',
  'step.started',
  'step.completed',
  'step.suspended',
  'step.resumed',
  'interaction.requested',
  'interaction.notified',
  'interaction.responded',
  'snapshot.created',
];

type Query = (sql: string, params?: unknown[]) => Promise<unknown>;

function typeOf(r: number, i: number): string {
  if (i === 99 && r % 10 === 0) return 'interaction.sla_breached';
  return COMMON[(i + r) % COMMON.length] ?? 'step.completed';
}

async function fill(query: Query): Promise<void> {
  const at = (r: number, i: number) => new Date(BASE + r * 30_000 + i * 250).toISOString();
  await query('BEGIN');
  for (let r0 = 0; r0 < RUNS; r0 += 500) {
    const rows: unknown[] = [];
    for (let r = r0; r < r0 + 500; r++) {
      rows.push(
        TENANT,
        `run-${r}`,
        `seg-${r % 10}`,
        '1.0.0',
        'completed',
        1,
        PER_RUN,
        50,
        at(r, 0),
        at(r, 99),
        '{}',
      );
    }
    await query(
      `INSERT INTO runs (tenant_id, run_id, segment_id, segment_version, status, version, last_seq, steps_completed, created_at, updated_at, extra) VALUES ${Array.from({ length: 500 }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      rows,
    );
  }
  await query('COMMIT');
  const perStatement = 500;
  for (let r = 0; r < RUNS; r += 50) {
    await query('BEGIN');
    for (let rr = r; rr < r + 50; rr++) {
      for (let i0 = 0; i0 < PER_RUN; i0 += perStatement) {
        const rows: unknown[] = [];
        const n = Math.min(perStatement, PER_RUN - i0);
        for (let i = i0; i < i0 + n; i++) {
          rows.push(
            TENANT,
            `run-${rr}`,
            i + 1,
            `run-${rr}.${i + 1}`,
            typeOf(rr, i),
            `s${i % 20}`,
            at(rr, i),
            '{"attempt":1}',
          );
        }
        await query(
          `INSERT INTO events (tenant_id, run_id, seq, event_id, type, step_id, at, data) VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
          rows,
        );
      }
    }
    await query('COMMIT');
  }
  await query('ANALYZE');
}

function percentiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (p: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] * 1000) / 1000;
  return { p50: pick(0.5), p99: pick(0.99) };
}

async function time(
  times: number,
  fn: (i: number) => Promise<unknown>,
): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 10; i++) await fn(i);
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await fn(i);
    samples.push(performance.now() - start);
  }
  return percentiles(samples);
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-bench-events-'));
  const store = new SqliteStore({ path: join(dir, 'events.sqlite') });
  await store.init();
  try {
    const ds = (store as unknown as { dataSource: { query: Query } }).dataSource;
    const setupStart = performance.now();
    await fill((sql, params) => ds.query(sql, params));
    const setupSeconds = Math.round((performance.now() - setupStart) / 100) / 10;
    const first = (q: EventQuery) => async () => {
      const page = await queryEvents(store, TENANT, { limit: 100, ...q });
      if (page.items.length === 0) throw new Error(`no events for ${JSON.stringify(q)}`);
    };
    const deep = await queryEvents(store, TENANT, {
      types: ['step.completed'],
      from: new Date(BASE + (RUNS / 2) * 30_000).toISOString(),
      limit: 1,
    });
    const results = {
      byType: await time(200, first({ types: ['step.completed'] })),
      byRareType: await time(200, first({ types: ['interaction.sla_breached'] })),
      byTypeAndSegment: await time(200, (i) =>
        first({ types: ['step.completed'], segmentId: `seg-${i % 10}` })(),
      ),
      byTimeRange: await time(200, (i) =>
        first({
          from: new Date(BASE + (i % 80) * 3_600_000).toISOString(),
          to: new Date(BASE + ((i % 80) + 1) * 3_600_000).toISOString(),
        })(),
      ),
      byTypeAfterCursor: await time(200, first({ types: ['step.completed'], after: deep.nextCursor })),
      bareRunRead: await time(200, async (i) => {
        const events = await store.listEvents(TENANT, `run-${(i * 37) % RUNS}`, { limit: 100 });
        if (events.length === 0) throw new Error('no events');
      }),
    };
    return {
      events: RUNS * PER_RUN,
      setupSeconds,
      firstPageMs: results,
      target: 'type queries: first page p99 < 50 ms',
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
